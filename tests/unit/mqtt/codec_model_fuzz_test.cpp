// Random but valid packet values: every one must encode, decode back to itself and re-encode to
// the same bytes. Complements the byte-level fuzz, which mostly explores rejections.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/mqtt/codec_test_util.hpp"

namespace gatemq::mqtt::testing {
namespace {

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : random_(seed) {}

  Packet packet(ProtocolVersion version) {
    const bool v5 = version == ProtocolVersion::v5;
    switch (below(v5 ? 15 : 14)) {
      case 0:
        return connect(version);
      case 1:
        return connack(v5);
      case 2:
        return publish(v5);
      case 3:
        return ack<Puback>(v5, {0x1F, 0x26});
      case 4:
        return ack<Pubrec>(v5, {0x1F, 0x26});
      case 5:
        return ack<Pubrel>(v5, {0x1F, 0x26});
      case 6:
        return ack<Pubcomp>(v5, {0x1F});
      case 7:
        return subscribe(v5);
      case 8:
        return suback(v5);
      case 9:
        return unsubscribe(v5);
      case 10:
        return unsuback(v5);
      case 11:
        return Pingreq{};
      case 12:
        return Pingresp{};
      case 13: {
        Disconnect disconnect;
        if (v5) {
          disconnect.reason_code = byte();
          disconnect.properties = properties({0x11, 0x1C, 0x1F, 0x26});
        }
        return disconnect;
      }
      default: {
        const std::uint8_t codes[] = {rc::kSuccess, rc::kContinueAuthentication,
                                      rc::kReAuthenticate};
        return Auth{codes[below(3)], properties({0x15, 0x16, 0x1F, 0x26})};
      }
    }
  }

 private:
  std::uint32_t below(std::uint32_t bound) { return random_() % bound; }
  bool sometimes() { return below(3) == 0; }
  std::uint8_t byte() { return static_cast<std::uint8_t>(below(256)); }
  std::uint16_t nonzero_u16() { return static_cast<std::uint16_t>(1 + below(65535)); }

  // Valid MQTT UTF-8 from pieces of every encoded length, including none.
  std::string text() {
    static const char* const pieces[] = {
        "a", "/", "+", "#", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x7F"};
    std::string out;
    for (auto count = below(6); count > 0; --count) out += pieces[below(std::size(pieces))];
    return out;
  }
  std::string binary() {
    std::string out(below(8), '\0');
    for (auto& c : out) c = static_cast<char>(byte());
    return out;
  }

  // Some of `ids`, each with a valid value; repeatable ones may repeat.
  Properties properties(std::initializer_list<std::uint8_t> ids, bool subscribe = false) {
    Properties p;
    for (auto id : ids) {
      if (!sometimes()) continue;
      switch (id) {
        case 0x01:
          p.payload_format_indicator = below(2);
          break;
        case 0x02:
          p.message_expiry_interval = random_();
          break;
        case 0x03:
          p.content_type = text();
          break;
        case 0x08:
          p.response_topic = text();
          break;
        case 0x09:
          p.correlation_data = binary();
          break;
        case 0x0B:
          for (auto count = subscribe ? 1 : 1 + below(3); count > 0; --count) {
            p.subscription_identifiers.push_back(1 + below(268435455));
          }
          break;
        case 0x11:
          p.session_expiry_interval = random_();
          break;
        case 0x12:
          p.assigned_client_identifier = text();
          break;
        case 0x13:
          p.server_keep_alive = static_cast<std::uint16_t>(below(65536));
          break;
        case 0x15:
          p.authentication_method = text();
          if (sometimes()) p.authentication_data = binary();  // data only with a method
          break;
        case 0x16:
          p.authentication_data = binary();
          break;
        case 0x17:
          p.request_problem_information = below(2);
          break;
        case 0x18:
          p.will_delay_interval = random_();
          break;
        case 0x19:
          p.request_response_information = below(2);
          break;
        case 0x1A:
          p.response_information = text();
          break;
        case 0x1C:
          p.server_reference = text();
          break;
        case 0x1F:
          p.reason_string = text();
          break;
        case 0x21:
          p.receive_maximum = nonzero_u16();
          break;
        case 0x22:
          p.topic_alias_maximum = static_cast<std::uint16_t>(below(65536));
          break;
        case 0x23:
          p.topic_alias = nonzero_u16();
          break;
        case 0x24:
          p.maximum_qos = below(2);
          break;
        case 0x25:
          p.retain_available = below(2);
          break;
        case 0x26:
          for (auto count = 1 + below(3); count > 0; --count) {
            p.user_properties.emplace_back(text(), text());
          }
          break;
        case 0x27:
          p.maximum_packet_size = 1 + below(0xFFFFFFFE);
          break;
        case 0x28:
          p.wildcard_subscription_available = below(2);
          break;
        case 0x29:
          p.subscription_identifier_available = below(2);
          break;
        case 0x2A:
          p.shared_subscription_available = below(2);
          break;
      }
    }
    return p;
  }

  Connect connect(ProtocolVersion version) {
    const bool v5 = version == ProtocolVersion::v5;
    Connect c;
    c.version = version;
    c.clean_start = below(2);
    c.keep_alive = static_cast<std::uint16_t>(below(65536));
    c.client_id = text();
    if (v5) c.properties = properties({0x11, 0x15, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27});
    if (sometimes()) {
      Will will{text(), binary(), static_cast<std::uint8_t>(below(3)), below(2) == 1, {}};
      if (v5) will.properties = properties({0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26});
      c.will = std::move(will);
    }
    if (below(2)) c.username = text();
    if (below(2) && (v5 || c.username)) c.password = binary();  // 3.x: no password alone
    return c;
  }

  Connack connack(bool v5) {
    Connack c;
    c.session_present = below(2);
    if (v5) {
      c.reason_code = byte();
      c.properties = properties({0x11, 0x12, 0x13, 0x15, 0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x24, 0x25,
                                 0x26, 0x27, 0x28, 0x29, 0x2A});
    } else {
      const std::uint8_t codes[] = {
          rc::kSuccess,           rc::kUnsupportedProtocolVersion, rc::kClientIdentifierNotValid,
          rc::kServerUnavailable, rc::kBadUserNameOrPassword,      rc::kNotAuthorized};
      c.reason_code = codes[below(std::size(codes))];
    }
    return c;
  }

  Publish publish(bool v5) {
    Publish p;
    p.qos = static_cast<std::uint8_t>(below(3));
    p.dup = p.qos > 0 && below(2);
    p.retain = below(2);
    p.topic = text();
    if (p.qos > 0) p.packet_id = nonzero_u16();
    if (v5) p.properties = properties({0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, 0x26});
    p.payload = binary();
    return p;
  }

  template <class T>
  T ack(bool v5, std::initializer_list<std::uint8_t> ids) {
    T a;
    a.packet_id = nonzero_u16();
    if (v5) {
      a.reason_code = sometimes() ? byte() : 0;
      a.properties = properties(ids);
    }
    return a;
  }

  Subscribe subscribe(bool v5) {
    Subscribe s;
    s.packet_id = nonzero_u16();
    if (v5) s.properties = properties({0x0B, 0x26}, /*subscribe=*/true);
    for (auto count = 1 + below(3); count > 0; --count) {
      SubscriptionOptions options{static_cast<std::uint8_t>(below(3))};
      if (v5) {
        options.no_local = below(2);
        options.retain_as_published = below(2);
        options.retain_handling = static_cast<std::uint8_t>(below(3));
      }
      s.subscriptions.push_back({text(), options});
    }
    return s;
  }

  Suback suback(bool v5) {
    Suback s;
    s.packet_id = nonzero_u16();
    if (v5) s.properties = properties({0x1F, 0x26});
    const std::uint8_t v3_codes[] = {0, 1, 2, 0x80};
    for (auto count = below(4); count > 0; --count) {
      s.reason_codes.push_back(v5 ? byte() : v3_codes[below(4)]);
    }
    return s;
  }

  Unsubscribe unsubscribe(bool v5) {
    Unsubscribe u;
    u.packet_id = nonzero_u16();
    if (v5) u.properties = properties({0x26});
    for (auto count = 1 + below(3); count > 0; --count) u.filters.push_back(text());
    return u;
  }

  Unsuback unsuback(bool v5) {
    Unsuback u;
    u.packet_id = nonzero_u16();
    if (v5) {
      u.properties = properties({0x1F, 0x26});
      for (auto count = below(4); count > 0; --count) u.reason_codes.push_back(byte());
    }
    return u;
  }

  std::mt19937 random_;
};

TEST(CodecModelFuzz, RandomValidPacketsRoundTrip) {
  Generator generator(2024);
  const ProtocolVersion versions[] = {ProtocolVersion::v31, ProtocolVersion::v311,
                                      ProtocolVersion::v5};
  for (int i = 0; i < 30000; ++i) {
    const auto version = versions[i % 3];
    const auto packet = generator.packet(version);
    const auto bytes = encoded(packet, version);
    const auto result = decode_whole(bytes, version);
    ASSERT_TRUE(result.ok()) << "type " << packet.index() + 1 << " v" << int(version) << ": "
                             << result.error.message << " " << hex(bytes);
    ASSERT_EQ(result.packet, packet) << hex(bytes);
    ASSERT_EQ(encoded(result.packet, version), bytes);
    if (const auto* publish = std::get_if<Publish>(&packet)) {
      ASSERT_EQ(bytes.size(), encoded_publish_size(publish->topic, publish->properties,
                                                   publish->payload.size(), publish->qos, version));
    }
  }
}

}  // namespace
}  // namespace gatemq::mqtt::testing
