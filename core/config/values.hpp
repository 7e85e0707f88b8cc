// Value syntax of the configuration file: durations, sizes, booleans, numbers, addresses.
// Each parser throws std::invalid_argument with what it expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatemq::config::values {

// "15s", "500ms", "2m", "1h", "1d", or a plain number of seconds.
std::chrono::milliseconds duration(std::string_view text);
// "1MB", "64KB", "2GB", "512B" (1024-based), or a plain number of bytes.
std::uint64_t size(std::string_view text);
// on/off, true/false, enable/disable.
bool boolean(std::string_view text);
std::uint64_t unsigned_integer(std::string_view text, std::uint64_t max);
double decimal(std::string_view text);
// "80%" or "80" -> 80: a percentage from 0 to 100.
double percentage(std::string_view text);
// "1883", "0.0.0.0:1883", "[::1]:1883".
std::pair<std::string, std::uint16_t> listen_address(std::string_view text);
// "none" or "topic/1=10,topic/2=8" (priorities 1..255).
std::vector<std::pair<std::string, int>> priorities(std::string_view text);
// One of `choices`, returned as written.
std::string one_of(std::string_view text, std::initializer_list<std::string_view> choices);

// "100,10s" / "10,60" (count per period, bare periods in seconds) -> per second and burst N.
std::pair<double, double> count_per_period(std::string_view text);
// "100KB,10s": bytes per period -> per second and burst.
std::pair<double, double> bytes_per_period(std::string_view text);
// "1024,4096": bytes per second and burst bytes.
std::pair<double, double> rate_and_burst(std::string_view text);

// Any non-empty text without whitespace (node.name).
std::string name(std::string_view text);
// Letters, digits, '_' and '-': zone and listener names, which also appear inside keys.
std::string identifier(std::string_view text);

std::string_view trim(std::string_view text);

// "a, b,c" -> {"a", "b", "c"}: comma-separated, each item trimmed, empty items dropped.
std::vector<std::string> list(std::string_view text);

}  // namespace gatemq::config::values
