// Listener access rules (`listener.tcp.<name>.access.N = allow|deny all|<ip>[/<prefix>]`):
// checked in order on accept, first match wins, no rule matching means allow.
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatemq::net {

class AccessRules {
 public:
  // Throws std::invalid_argument naming the bad rule.
  explicit AccessRules(const std::vector<std::string>& rules);

  bool allows(const asio::ip::address& peer) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    bool allow = true;
    bool any = false;
    asio::ip::address network;
    unsigned prefix = 0;
  };
  static Rule parse(std::string_view text);
  static bool in_network(const asio::ip::address& peer, const Rule& rule);

  std::vector<Rule> rules_;
};

}  // namespace gatemq::net
