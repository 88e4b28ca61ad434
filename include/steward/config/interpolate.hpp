// Variable interpolation in configuration strings (SPEC §7), in the shape
// docker-compose users know:
//
//   ${VAR}            value of VAR; unset is an error
//   $VAR              same, bare form (VAR = [A-Za-z_][A-Za-z0-9_]*)
//   ${VAR:-default}   default when VAR is unset or empty
//   ${VAR-default}    default when VAR is unset
//   ${VAR:?message}   error with message when VAR is unset or empty
//   ${VAR?message}    error with message when VAR is unset
//   $$                a literal $
//
// Defaults and messages are themselves interpolated, so `${A:-${B}}` works.
// A `$` followed by anything else is an error that suggests `$$`: a lone `$`
// silently kept would make `$1` in a shell command mean different things
// depending on the next character. Pure functions, no state.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace steward {

using EnvMap = std::map<std::string, std::string>;

// Where and why an expansion failed.
struct InterpolateFailure {
  size_t offset = 0;   // of the '$' that starts the failing reference, in `text`
  bool unset = false;  // a variable is not set (${VAR}, ${VAR:?msg}), not a mistake in the text
};

// Expands `text` into *out. On failure returns false and sets *err to a
// message without a position (the caller knows where the string was), and
// *why, when given, to where in `text` it failed.
bool Interpolate(std::string_view text, const EnvMap& env, std::string* out, std::string* err,
                 InterpolateFailure* why = nullptr);

// The 1-based line and column of `offset` in `text` (a template's place).
void LineColumn(std::string_view text, size_t offset, size_t* line, size_t* column);

}  // namespace steward
