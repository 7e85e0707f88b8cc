// Publish, subscribe and unsubscribe over HTTP (/mqtt/...), one at a time or in batches. A
// subscription made here belongs to the named client's session, exactly as if the client had
// sent SUBSCRIBE, and is delivered to it like any other.
#include <mbedtls/base64.h>

#include "core/router/topic.hpp"
#include "management/api.hpp"

namespace gatemq::management {

namespace {

const Json& field(const Json& body, const char* name) {
  static const Json kNull;
  const auto found = body.find(name);
  return found == body.end() ? kNull : *found;
}

std::string text_field(const Json& body, const char* name, std::string fallback) {
  const auto& value = field(body, name);
  if (value.is_null()) return fallback;
  if (!value.is_string()) {
    throw ApiError(400, ErrorCode::ParameterType, std::string("'") + name + "' must be a string");
  }
  return value.get<std::string>();
}

std::uint8_t qos_field(const Json& body) {
  const auto& value = field(body, "qos");
  if (value.is_null()) return 0;
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > 2) {
    throw ApiError(400, ErrorCode::ParameterType, "'qos' must be 0, 1 or 2");
  }
  return static_cast<std::uint8_t>(value.get<int>());
}

// `topic`, or the seed's comma-separated `topics`: at least one.
std::vector<std::string> topics_of(const Json& body) {
  if (!body.is_object()) throw ApiError(400, ErrorCode::ParameterType, "expected a JSON object");
  std::vector<std::string> topics;
  if (auto topic = text_field(body, "topic", ""); !topic.empty()) topics.push_back(topic);
  const auto list = text_field(body, "topics", "");
  for (std::size_t start = 0; start < list.size();) {
    const auto comma = std::min(list.find(',', start), list.size());
    if (comma > start) topics.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  if (topics.empty()) throw ApiError(400, ErrorCode::MissingParameter, "missing 'topic'");
  return topics;
}

std::string decode_payload(const Json& body) {
  auto payload = text_field(body, "payload", "");
  const auto encoding = text_field(body, "encoding", "plain");
  if (encoding == "plain") return payload;
  if (encoding != "base64") {
    throw ApiError(400, ErrorCode::ParameterType, "'encoding' must be plain or base64");
  }
  std::string decoded(payload.size(), '\0');
  std::size_t length = 0;
  if (mbedtls_base64_decode(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                            &length, reinterpret_cast<const unsigned char*>(payload.data()),
                            payload.size()) != 0) {
    throw ApiError(400, ErrorCode::ParameterType, "'payload' is not base64");
  }
  decoded.resize(length);
  return decoded;
}

void publish_one(const ApiContext& context, const Json& body) {
  const auto topics = topics_of(body);
  const auto payload = decode_payload(body);
  const auto qos = qos_field(body);
  const auto& retain = field(body, "retain");
  if (!retain.is_null() && !retain.is_boolean()) {
    throw ApiError(400, ErrorCode::ParameterType, "'retain' must be true or false");
  }
  const auto client_id = text_field(body, "clientid", text_field(body, "client_id", "http"));
  const auto levels = context.broker->settings().mqtt.max_topic_levels;
  for (const auto& topic : topics) {
    if (!router::is_valid_topic_name(topic, levels)) {
      throw ApiError(400, ErrorCode::ParameterType, "not a valid topic name: " + topic);
    }
  }
  for (const auto& topic : topics) {
    context.broker->publish(broker::make_message(
        topic, payload, qos, retain.is_boolean() && retain.get<bool>(), {}, client_id));
  }
}

// The session and client info of `clientid`; 404/112 when the broker has no such client.
std::pair<broker::SessionPtr, broker::ClientInfo> target_client(const ApiContext& context,
                                                                const Json& body) {
  const auto client_id = text_field(body, "clientid", text_field(body, "client_id", ""));
  if (client_id.empty()) throw ApiError(400, ErrorCode::MissingParameter, "missing 'clientid'");
  auto session = context.broker->find_session(client_id);
  auto snapshot = context.broker->client_snapshot(client_id);
  if (!session || !snapshot) {
    throw ApiError(404, ErrorCode::NotOnline, "no such client: " + client_id);
  }
  return {std::move(session), std::move(snapshot->client)};
}

Json subscribe_one(const ApiContext& context, const Json& body) {
  const auto topics = topics_of(body);
  const auto qos = qos_field(body);
  auto [session, client] = target_client(context, body);
  Json results = Json::array();
  for (const auto& topic : topics) {
    broker::SubscriptionRecord record;
    record.options.qos = qos;
    const auto code = context.broker->subscribe(
        session, client, router::apply_mountpoint(client.mountpoint, topic), record);
    if (code >= 0x80) {
      throw ApiError(400, ErrorCode::ParameterType,
                     "subscription to " + topic + " refused (reason " + std::to_string(code) + ")");
    }
    results.push_back(Json{{"topic", topic}, {"qos", code}});
  }
  return results;
}

Json unsubscribe_one(const ApiContext& context, const Json& body) {
  const auto topics = topics_of(body);
  auto [session, client] = target_client(context, body);
  Json results = Json::array();
  for (const auto& topic : topics) {
    const bool existed =
        context.broker->unsubscribe(session, router::apply_mountpoint(client.mountpoint, topic));
    results.push_back(Json{{"topic", topic}, {"existed", existed}});
  }
  return results;
}

// A batch is a JSON array of single requests; each is answered in order with its own code, so
// one bad item does not undo the others.
template <class F>
Response batch(const Request& request, F&& one) {
  const auto body = request.json_body();
  if (!body.is_array()) throw ApiError(400, ErrorCode::ParameterType, "expected a JSON array");
  Json results = Json::array();
  for (const auto& item : body) {
    try {
      auto result = one(item);
      results.push_back(Json{{"code", 0}, {"data", std::move(result)}});
    } catch (const ApiError& e) {
      results.push_back(Json{{"code", static_cast<int>(e.code())}, {"message", e.what()}});
    }
  }
  return ok(std::move(results));
}

}  // namespace

void register_pubsub_api(Router& router, const ApiContext& context) {
  const auto* c = &context;
  router.add("POST", "/mqtt/publish",
             "Publish {topic|topics, payload, encoding, qos, retain, clientid}",
             [c](const Request& r) {
               publish_one(*c, r.json_body());
               return ok();
             });
  router.add("POST", "/mqtt/publish_batch", "Publish an array of messages", [c](const Request& r) {
    return batch(r, [c](const Json& item) {
      publish_one(*c, item);
      return Json::object();
    });
  });
  router.add("POST", "/mqtt/subscribe", "Subscribe a client {topic|topics, qos, clientid}",
             [c](const Request& r) { return ok(subscribe_one(*c, r.json_body())); });
  router.add("POST", "/mqtt/subscribe_batch", "Subscribe from an array of requests",
             [c](const Request& r) {
               return batch(r, [c](const Json& item) { return subscribe_one(*c, item); });
             });
  router.add("POST", "/mqtt/unsubscribe", "Unsubscribe a client {topic|topics, clientid}",
             [c](const Request& r) { return ok(unsubscribe_one(*c, r.json_body())); });
  router.add("POST", "/mqtt/unsubscribe_batch", "Unsubscribe from an array of requests",
             [c](const Request& r) {
               return batch(r, [c](const Json& item) { return unsubscribe_one(*c, item); });
             });
}

}  // namespace gatemq::management
