// Parsing of the small value types that the command line, the environment
// and the configuration files share: durations and sizes (SPEC preamble).
// Errors are values: each function returns false and sets *err to a message
// that names the offending text, without a position (the caller adds it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "steward/util/number.hpp"

namespace steward {

using Duration = std::chrono::milliseconds;

// "250ms", "5s", "2m", "1h", "1.5s"; a bare integer means seconds.
bool ParseDuration(std::string_view text, Duration* out, std::string* err);

// "64KiB", "16MiB", "1GiB", "512B", "10KB"; a bare integer means bytes.
bool ParseSize(std::string_view text, uint64_t* out, std::string* err);

// The shortest exact spelling: 1500ms -> "1.5s", 60000ms -> "1m".
std::string FormatDuration(Duration d);

}  // namespace steward
