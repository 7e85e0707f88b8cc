// HTTP Basic authentication of API requests by the application id and secret
// (management.default_application.*).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "management/envelope.hpp"

namespace gatemq::management {

struct Credentials {
  std::string id;
  std::string secret;
};

// "Basic base64(id:secret)" -> the pair; nullopt when it is not Basic or not decodable.
std::optional<Credentials> parse_basic_auth(std::string_view header);

// nullopt when `header` carries the expected credentials; else the 401 to send: code 104 when
// there are none (or they are empty), 103 when they are wrong.
std::optional<Response> check_basic_auth(std::optional<std::string_view> header,
                                         const Credentials& expected);

// "Basic base64(id:secret)", for the `gatemq ctl` client.
std::string basic_auth_header(const Credentials& credentials);

}  // namespace gatemq::management
