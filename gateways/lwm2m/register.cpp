// Entry point the executable's generated gateway list calls.
#include "gateways/lwm2m/lwm2m_gateway.hpp"

gatemq::gateway::GatewayDescriptor gatemq_describe_lwm2m_gateway() {
  return gatemq::gateway::lwm2m::describe();
}
