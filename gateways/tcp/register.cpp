// Entry point the executable's generated plugin list calls.
#include "gateways/tcp/tcp_gateway.hpp"

gatemq::plugin::Descriptor gatemq_describe_emqx_tcp_plugin() {
  return gatemq::gateway::tcp::describe();
}
