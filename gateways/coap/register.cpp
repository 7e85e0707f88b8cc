// Entry point the executable's generated gateway list calls.
#include "gateways/coap/coap_gateway.hpp"

gatemq::gateway::GatewayDescriptor gatemq_describe_coap_gateway() {
  return gatemq::gateway::coap::describe();
}
