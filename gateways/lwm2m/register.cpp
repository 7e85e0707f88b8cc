// Entry point the executable's generated plugin list calls.
#include "gateways/lwm2m/lwm2m_gateway.hpp"

gatemq::plugin::Descriptor gatemq_describe_emqx_lwm2m_plugin() {
  return gatemq::gateway::lwm2m::describe();
}
