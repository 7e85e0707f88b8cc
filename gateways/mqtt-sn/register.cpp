// Entry point the executable's generated gateway list calls.
#include "gateways/mqtt-sn/mqttsn_gateway.hpp"

gatemq::gateway::GatewayDescriptor gatemq_describe_mqttsn_gateway() {
  return gatemq::gateway::mqttsn::describe();
}
