// A guard in front of toml++ (found by tests/fuzz/fuzz_config): toml++
// 3.3.0, Debian's, reaches __builtin_unreachable() (undefined behaviour, in
// PID 1) when it meets certain non-ASCII code points where whitespace may
// stand, e.g. U+031F after a value. TOML allows characters outside ASCII
// only inside strings and comments, so steward finds the first one outside
// them itself and reports it as the syntax error it is, before toml++ sees
// the text.
#pragma once

#include <cstddef>
#include <string_view>

namespace steward {

// True when text has a byte above 0x7f outside strings and comments; then
// *line and *column (both from 1, the column in bytes) point at it.
bool FindBareNonAscii(std::string_view text, size_t* line, size_t* column);

}  // namespace steward
