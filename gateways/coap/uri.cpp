#include "gateways/coap/uri.hpp"

namespace gatemq::gateway::coap {

namespace {

std::optional<std::pair<std::string, std::string>> parse_pair(std::string_view item) {
  const auto equals = item.find('=');
  auto key = percent_decode(item.substr(0, equals));
  auto value = percent_decode(equals == std::string_view::npos ? std::string_view{}
                                                               : item.substr(equals + 1));
  if (!key || !value || key->empty()) return std::nullopt;
  return std::pair{std::move(*key), std::move(*value)};
}

const std::string* first_of(const Query& query, std::string_view a, std::string_view b) {
  if (auto found = query.find(a); found != query.end()) return &found->second;
  if (auto found = query.find(b); found != query.end()) return &found->second;
  return nullptr;
}

}  // namespace

std::optional<Query> parse_query(const std::vector<std::string>& options) {
  Query query;
  for (const auto& option : options) {
    auto pair = parse_pair(option);
    if (!pair) return std::nullopt;
    query.insert_or_assign(std::move(pair->first), std::move(pair->second));
  }
  return query;
}

std::optional<Query> parse_form(std::string_view body) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = body.find('&', start);
    const auto item =
        body.substr(start, end == std::string_view::npos ? body.size() - start : end - start);
    if (!item.empty()) items.emplace_back(item);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parse_query(items);
}

Route route(const std::vector<std::string>& segments) {
  if (segments.empty()) return {};
  const auto& head = segments.front();
  RouteKind kind;
  if (head == "mqtt") {
    if (segments.size() == 1) return {RouteKind::MqttRoot, {}};
    if (segments.size() == 2 && segments[1] == "connection") return {RouteKind::Connection, {}};
    kind = RouteKind::MqttTopic;
  } else if (head == "ps" && segments.size() > 1) {
    kind = RouteKind::PsTopic;
  } else {
    return {};
  }
  std::string topic;
  for (std::size_t i = 1; i < segments.size(); ++i) {
    auto decoded = percent_decode(segments[i]);
    if (!decoded) return {};
    if (i > 1) topic.push_back('/');
    topic += *decoded;
  }
  return {kind, std::move(topic)};
}

std::optional<std::uint8_t> parse_qos(std::string_view text) {
  if (text.starts_with("qos")) text.remove_prefix(3);
  if (text == "0") return 0;
  if (text == "1") return 1;
  if (text == "2") return 2;
  return std::nullopt;
}

std::optional<bool> parse_flag(std::string_view text) {
  if (text == "1" || text == "true" || text == "on") return true;
  if (text == "0" || text == "false" || text == "off") return false;
  return std::nullopt;
}

Credentials credentials(const Query& query) {
  Credentials result;
  if (const auto* id = first_of(query, "c", "clientid")) result.client_id = *id;
  if (const auto* user = first_of(query, "u", "username")) result.username = *user;
  if (const auto* password = first_of(query, "p", "password")) result.password = *password;
  if (auto token = query.find("token"); token != query.end()) result.token = token->second;
  return result;
}

}  // namespace gatemq::gateway::coap
