// Entry point the executable's generated gateway list calls.
#include "gateways/stomp/stomp_gateway.hpp"

gatemq::gateway::GatewayDescriptor gatemq_describe_stomp_gateway() {
  return gatemq::gateway::stomp::describe();
}
