// Decimal numbers from untrusted text (signal numbers, pids, /proc fields,
// sizes): strict, no locale, no sign, no spaces.
#pragma once

#include <cstdint>
#include <string_view>

namespace steward {

// A non-negative decimal integer that fits in *out; no sign, no spaces.
bool ParseUnsigned(std::string_view text, uint64_t* out);

}  // namespace steward
