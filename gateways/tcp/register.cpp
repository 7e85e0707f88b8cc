// Entry point the executable's generated gateway list calls.
#include "gateways/tcp/tcp_gateway.hpp"

gatemq::gateway::GatewayDescriptor gatemq_describe_tcp_gateway() {
  return gatemq::gateway::tcp::describe();
}
