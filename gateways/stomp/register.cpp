// Entry point the executable's generated plugin list calls.
#include "gateways/stomp/stomp_gateway.hpp"

gatemq::plugin::Descriptor gatemq_describe_emqx_stomp_plugin() {
  return gatemq::gateway::stomp::describe();
}
