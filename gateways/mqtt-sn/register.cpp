// Entry point the executable's generated plugin list calls.
#include "gateways/mqtt-sn/mqttsn_gateway.hpp"

gatemq::plugin::Descriptor gatemq_describe_emqx_sn_plugin() {
  return gatemq::gateway::mqttsn::describe();
}
