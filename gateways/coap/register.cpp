// Entry point the executable's generated plugin list calls.
#include "gateways/coap/coap_gateway.hpp"

gatemq::plugin::Descriptor gatemq_describe_emqx_coap_plugin() {
  return gatemq::gateway::coap::describe();
}
