#include "core/config/values.hpp"

#include <algorithm>
#include <asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace gatemq::config::values {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Splits "15s" into 15 and "s"; the number part must be present.
std::pair<std::uint64_t, std::string> number_and_unit(std::string_view text, const char* expected) {
  text = trim(text);
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) throw std::invalid_argument(expected);
  return {number, lower(trim(std::string_view(end, text.data() + text.size() - end)))};
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::chrono::milliseconds duration(std::string_view text) {
  constexpr const char* kExpected = "a duration such as 500ms, 15s, 2m, 1h or 1d";
  const auto [number, unit] = number_and_unit(text, kExpected);
  std::uint64_t factor;
  if (unit == "ms") {
    factor = 1;
  } else if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit == "d") {
    factor = 86'400'000;
  } else {
    throw std::invalid_argument(kExpected);
  }
  if (number > (std::uint64_t{1} << 40) / factor) throw std::invalid_argument("duration too long");
  return std::chrono::milliseconds(number * factor);
}

std::uint64_t size(std::string_view text) {
  constexpr const char* kExpected = "a size such as 512B, 64KB, 1MB or 2GB";
  const auto [number, unit] = number_and_unit(text, kExpected);
  std::uint64_t factor;
  if (unit.empty() || unit == "b") {
    factor = 1;
  } else if (unit == "kb" || unit == "k") {
    factor = 1024;
  } else if (unit == "mb" || unit == "m") {
    factor = 1024 * 1024;
  } else if (unit == "gb" || unit == "g") {
    factor = 1024 * 1024 * 1024;
  } else {
    throw std::invalid_argument(kExpected);
  }
  if (number > (std::uint64_t{1} << 50) / factor) throw std::invalid_argument("size too large");
  return number * factor;
}

bool boolean(std::string_view text) {
  const auto value = lower(trim(text));
  if (value == "on" || value == "true" || value == "enable") return true;
  if (value == "off" || value == "false" || value == "disable") return false;
  throw std::invalid_argument("on/off or true/false");
}

std::uint64_t unsigned_integer(std::string_view text, std::uint64_t max) {
  text = trim(text);
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || number > max) {
    throw std::invalid_argument("a whole number from 0 to " + std::to_string(max));
  }
  return number;
}

double decimal(std::string_view text) {
  text = trim(text);
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || number <= 0) {
    throw std::invalid_argument("a positive decimal number such as 0.75");
  }
  return number;
}

double percentage(std::string_view text) {
  text = trim(text);
  if (text.ends_with('%')) text.remove_suffix(1);
  double number = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || number < 0 || number > 100) {
    throw std::invalid_argument("a percentage from 0% to 100% such as 80%");
  }
  return number;
}

std::pair<std::string, std::uint16_t> listen_address(std::string_view text) {
  constexpr const char* kExpected = "a port or ip:port, e.g. 1883 or 0.0.0.0:1883 or [::]:1883";
  text = trim(text);
  std::string host = "0.0.0.0";
  std::string_view port = text;
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    auto address = text.substr(0, colon);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
      address = address.substr(1, address.size() - 2);
    }
    std::error_code error;
    asio::ip::make_address(std::string(address), error);
    if (error) throw std::invalid_argument(kExpected);
    host = address;
    port = text.substr(colon + 1);
  }
  try {
    return {host, static_cast<std::uint16_t>(unsigned_integer(port, 65535))};
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(kExpected);
  }
}

std::vector<std::pair<std::string, int>> priorities(std::string_view text) {
  constexpr const char* kExpected = "none or topic=priority pairs such as topic/1=10,topic/2=8";
  std::vector<std::pair<std::string, int>> result;
  text = trim(text);
  if (text == "none" || text.empty()) return result;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    const auto equals = item.rfind('=');
    if (equals == std::string_view::npos || equals == 0) throw std::invalid_argument(kExpected);
    const auto priority = unsigned_integer(item.substr(equals + 1), 255);
    if (priority == 0) throw std::invalid_argument("priorities run from 1 to 255");
    result.emplace_back(std::string(trim(item.substr(0, equals))), static_cast<int>(priority));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return result;
}

std::string one_of(std::string_view text, std::initializer_list<std::string_view> choices) {
  const auto value = trim(text);
  for (auto choice : choices) {
    if (value == choice) return std::string(value);
  }
  std::string expected = "one of:";
  for (auto choice : choices) expected += " " + std::string(choice);
  throw std::invalid_argument(expected);
}

std::string name(std::string_view text) {
  text = trim(text);
  if (text.empty() || std::ranges::any_of(text, [](unsigned char c) { return std::isspace(c); })) {
    throw std::invalid_argument("a non-empty name without spaces");
  }
  return std::string(text);
}

std::string identifier(std::string_view text) {
  text = trim(text);
  if (text.empty() || !std::ranges::all_of(text, [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
      })) {
    throw std::invalid_argument("a name of letters, digits, '_' and '-'");
  }
  return std::string(text);
}

std::vector<std::string> list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return items;
}

namespace {
std::pair<std::string_view, std::string_view> two_parts(std::string_view text,
                                                        std::string_view expected) {
  const auto comma = text.find(',');
  if (comma == std::string_view::npos || text.find(',', comma + 1) != std::string_view::npos) {
    throw std::invalid_argument(std::string(expected));
  }
  return {trim(text.substr(0, comma)), trim(text.substr(comma + 1))};
}

std::pair<double, double> per_period(double amount, std::chrono::milliseconds period,
                                     std::string_view expected) {
  if (amount <= 0 || period.count() <= 0) throw std::invalid_argument(std::string(expected));
  return {amount * 1000.0 / static_cast<double>(period.count()), amount};
}
}  // namespace

std::pair<double, double> count_per_period(std::string_view text) {
  constexpr std::string_view kExpected = "'count,period' such as 100,10s";
  const auto [count, period] = two_parts(text, kExpected);
  return per_period(static_cast<double>(unsigned_integer(count, 1u << 30)), duration(period),
                    kExpected);
}

std::pair<double, double> bytes_per_period(std::string_view text) {
  constexpr std::string_view kExpected = "'size,period' such as 100KB,10s";
  const auto [bytes, period] = two_parts(text, kExpected);
  return per_period(static_cast<double>(size(bytes)), duration(period), kExpected);
}

std::pair<double, double> rate_and_burst(std::string_view text) {
  constexpr std::string_view kExpected = "'bytes per second,burst bytes' such as 1024,4096";
  const auto [rate, burst] = two_parts(text, kExpected);
  const auto per_second = static_cast<double>(size(rate));
  const auto burst_bytes = static_cast<double>(size(burst));
  if (per_second <= 0) throw std::invalid_argument(std::string(kExpected));
  return {per_second, std::max(burst_bytes, per_second)};
}

}  // namespace gatemq::config::values
