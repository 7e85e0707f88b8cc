#include "core/net/access_rules.hpp"

#include <charconv>
#include <stdexcept>

namespace gatemq::net {

AccessRules::AccessRules(const std::vector<std::string>& rules) {
  for (const auto& text : rules) rules_.push_back(parse(text));
}

AccessRules::Rule AccessRules::parse(std::string_view text) {
  const auto fail = [&] {
    throw std::invalid_argument("bad access rule '" + std::string(text) +
                                "', expected 'allow|deny all|<ip>[/<prefix>]'");
  };
  const auto space = text.find(' ');
  if (space == std::string_view::npos) fail();
  Rule rule;
  const auto verb = text.substr(0, space);
  if (verb == "allow") {
    rule.allow = true;
  } else if (verb == "deny") {
    rule.allow = false;
  } else {
    fail();
  }
  auto target = text.substr(space + 1);
  while (!target.empty() && target.front() == ' ') target.remove_prefix(1);
  if (target == "all") {
    rule.any = true;
    return rule;
  }
  const auto slash = target.find('/');
  std::error_code error;
  rule.network = asio::ip::make_address(std::string(target.substr(0, slash)), error);
  if (error) fail();
  const unsigned max_prefix = rule.network.is_v4() ? 32 : 128;
  rule.prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const auto digits = target.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), rule.prefix);
    if (ec != std::errc() || end != digits.data() + digits.size() || rule.prefix > max_prefix) {
      fail();
    }
  }
  return rule;
}

bool AccessRules::in_network(const asio::ip::address& peer, const Rule& rule) {
  if (rule.any) return true;
  auto address = peer;
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  if (address.is_v6() && address.to_v6().is_v4_mapped() && rule.network.is_v4()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4() != rule.network.is_v4()) return false;
  const auto prefix_equal = [&](const auto& a, const auto& b) {
    unsigned bits = rule.prefix;
    for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
      const unsigned take = bits >= 8 ? 8 : bits;
      const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
      if ((a[i] & mask) != (b[i] & mask)) return false;
      bits -= take;
    }
    return true;
  };
  if (address.is_v4())
    return prefix_equal(address.to_v4().to_bytes(), rule.network.to_v4().to_bytes());
  return prefix_equal(address.to_v6().to_bytes(), rule.network.to_v6().to_bytes());
}

bool AccessRules::allows(const asio::ip::address& peer) const {
  for (const auto& rule : rules_) {
    if (in_network(peer, rule)) return rule.allow;
  }
  return true;
}

}  // namespace gatemq::net
