// alarms: the node's active alarms and the history of cleared ones (EMQX 4's /alarms paths).
// Each answer is node-scoped like /stats: [{node, alarms: [...]}].
#include "core/broker/alarms.hpp"
#include "management/api.hpp"

namespace gatemq::management {

namespace {

Json alarms_json(const std::vector<broker::Alarm>& alarms) {
  Json list = Json::array();
  for (const auto& alarm : alarms) {
    auto json = broker::alarm_json(alarm);
    json["activated"] = !alarm.deactivate_at.has_value();
    list.push_back(std::move(json));
  }
  return list;
}

Response per_node(const ApiContext& context, Json alarms) {
  return ok(Json::array(
      {Json{{"node", context.broker->settings().node.name}, {"alarms", std::move(alarms)}}}));
}

}  // namespace

void register_alarm_api(Router& router, const ApiContext& context) {
  const auto* c = &context;
  router.add("GET", "/alarms", "Active alarms, then cleared ones", [c](const Request&) {
    auto& alarms = c->broker->alarms();
    auto list = alarms_json(alarms.activated());
    for (auto& cleared : alarms_json(alarms.deactivated())) list.push_back(std::move(cleared));
    return per_node(*c, std::move(list));
  });
  router.add("GET", "/alarms/activated", "Active alarms", [c](const Request&) {
    return per_node(*c, alarms_json(c->broker->alarms().activated()));
  });
  router.add(
      "GET", "/alarms/deactivated", "Cleared alarms, most recent first",
      [c](const Request&) { return per_node(*c, alarms_json(c->broker->alarms().deactivated())); });
  router.add("DELETE", "/alarms/deactivated", "Forget the cleared alarms", [c](const Request&) {
    c->broker->alarms().clear_history();
    return ok();
  });
}

}  // namespace gatemq::management
