// Parsing of durations, sizes and numbers shared by the command line and the files.
#include "steward/config/parse.hpp"

#include <fmt/format.h>

namespace steward {

namespace {

// Splits "1.5s" into number "1.5" and unit "s". The number may have one
// fractional part; its value is returned scaled by 1000 (milli-units) so that
// "1.5s" and "0.25s" stay exact.
bool SplitNumber(std::string_view text, uint64_t* milli, std::string_view* unit) {
  size_t i = 0;
  uint64_t whole = 0;
  size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (whole > (UINT64_MAX / 10000)) return false;
    whole = whole * 10 + uint64_t(text[i] - '0');
    ++i, ++digits;
  }
  uint64_t frac = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    uint64_t scale = 100;
    size_t fdigits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (fdigits < 3) frac += uint64_t(text[i] - '0') * scale;
      scale /= 10;
      ++i, ++fdigits;
    }
    if (fdigits == 0) return false;
    digits += fdigits;
  }
  if (digits == 0) return false;
  *milli = whole * 1000 + frac;
  *unit = text.substr(i);
  return true;
}

}  // namespace

bool ParseDuration(std::string_view text, Duration* out, std::string* err) {
  uint64_t milli;
  std::string_view unit;
  if (!SplitNumber(text, &milli, &unit)) {
    *err = fmt::format("invalid duration '{}' (expected e.g. \"250ms\", \"5s\", \"2m\")", text);
    return false;
  }
  // milli is the number times 1000; the factor turns it into milliseconds.
  uint64_t ms;
  if (unit == "ms") {
    if (milli % 1000 != 0) {
      *err = fmt::format("invalid duration '{}' (milliseconds must be whole)", text);
      return false;
    }
    ms = milli / 1000;
  } else if (unit.empty() || unit == "s") {
    ms = milli;
  } else if (unit == "m") {
    ms = milli * 60;
  } else if (unit == "h") {
    ms = milli * 3600;
  } else {
    *err = fmt::format("invalid duration '{}': unknown unit '{}' (use ms, s, m or h)", text, unit);
    return false;
  }
  if (ms > uint64_t(1) << 40) {
    *err = fmt::format("invalid duration '{}': too long", text);
    return false;
  }
  *out = Duration(ms);
  return true;
}

bool ParseSize(std::string_view text, uint64_t* out, std::string* err) {
  uint64_t milli;
  std::string_view unit;
  if (!SplitNumber(text, &milli, &unit)) {
    *err = fmt::format("invalid size '{}' (expected e.g. \"64KiB\", \"16MiB\", \"1GiB\")", text);
    return false;
  }
  struct Unit { const char* name; uint64_t factor; };
  static const Unit kUnits[] = {
      {"", 1},        {"B", 1},
      {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
      {"K", 1ull << 10},   {"M", 1ull << 20},   {"G", 1ull << 30},
      {"KB", 1000},   {"MB", 1000000},   {"GB", 1000000000},
      {"k", 1ull << 10},
  };
  for (const Unit& u : kUnits) {
    if (unit != u.name) continue;
    if (milli > UINT64_MAX / u.factor) break;
    uint64_t bytes = milli * u.factor;
    if (bytes % 1000 != 0) {
      *err = fmt::format("invalid size '{}': not a whole number of bytes", text);
      return false;
    }
    *out = bytes / 1000;
    return true;
  }
  *err = fmt::format("invalid size '{}': unknown unit '{}' (use B, KiB, MiB or GiB)", text, unit);
  return false;
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 3600000 == 0) return fmt::format("{}h", ms / 3600000);
  if (ms % 60000 == 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  if (ms >= 1000) {
    std::string s = fmt::format("{}.{:03d}", ms / 1000, int(ms % 1000));
    while (s.back() == '0') s.pop_back();
    return s + "s";
  }
  return fmt::format("{}ms", ms);
}

}  // namespace steward
