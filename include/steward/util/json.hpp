// JSON string literals (RFC 8259), for the log sinks' JSON lines and
// `ctl status --json`.
#pragma once

#include <string>
#include <string_view>

namespace steward {

// `s` as a JSON string literal, quotes included, appended to *out. Always
// valid JSON: control bytes become \uXXXX (or \n, \t, ...) and each byte of
// invalid UTF-8 becomes \ufffd; valid UTF-8 is kept as it is.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace steward
