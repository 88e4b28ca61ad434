// The scan for characters outside ASCII where TOML allows none (see
// toml_guard.hpp): a lexer of strings and comments only.
#include "steward/config/toml_guard.hpp"

namespace steward {

bool FindBareNonAscii(std::string_view text, size_t* line, size_t* column) {
  size_t ln = 1, line_start = 0;
  size_t i = 0;
  auto starts = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++ln;
      line_start = ++i;
      continue;
    }
    if (c == '#') {  // a comment runs to the end of the line
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      bool basic = c == '"';
      std::string_view close = basic ? "\"\"\"" : "'''";
      bool multi = starts(close);
      i += multi ? 3 : 1;
      while (i < text.size()) {
        if (basic && text[i] == '\\') {
          i += 2;  // an escape: the next byte cannot close the string
          continue;
        }
        if (multi ? starts(close) : text[i] == c) {
          i += multi ? 3 : 1;
          break;
        }
        if (text[i] == '\n') {
          if (!multi) break;  // an unterminated string: toml++ reports it
          ++ln;
          line_start = i + 1;
        }
        ++i;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) > 0x7f) {
      *line = ln;
      *column = i - line_start + 1;
      return true;
    }
    ++i;
  }
  return false;
}

}  // namespace steward
