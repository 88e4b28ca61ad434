// Variable interpolation in configuration strings (SPEC §7), as docker-compose does it.
#include "steward/config/interpolate.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace steward {

namespace {

bool IsNameStart(char c) {
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool IsNameChar(char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9');
}

size_t NameLength(std::string_view s) {
  if (s.empty() || !IsNameStart(s[0])) return 0;
  size_t n = 1;
  while (n < s.size() && IsNameChar(s[n])) ++n;
  return n;
}

// Index of the '}' closing a "${" whose body starts at `from`, counting
// nested "${...}" in defaults; npos when there is none.
size_t FindClose(std::string_view s, size_t from) {
  int depth = 1;
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && (s[i + 1] == '$' || s[i + 1] == '{')) {
      if (s[i + 1] == '{') ++depth;
      ++i;
    } else if (s[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The line of `text` that holds text[pos], for a message: a template is a
// whole file, and its error quotes one line, not the file.
std::string_view LineAround(std::string_view text, size_t pos) {
  size_t nl = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
  size_t begin = nl == std::string_view::npos ? 0 : nl + 1;
  size_t end = std::min(text.find('\n', pos), text.size());
  return text.substr(begin, end - begin);
}

class Expander {
 public:
  Expander(std::string_view whole, const EnvMap& env, std::string* err, InterpolateFailure* why)
      : whole_(whole), env_(env), err_(err), why_(why) {}

  bool Expand(std::string_view text, std::string* out) {
    for (size_t i = 0; i < text.size();) {
      if (text[i] != '$') {
        out->push_back(text[i++]);
      } else if (!Dollar(text, &i, out)) {
        return false;
      }
    }
    return true;
  }

 private:
  // text[*i] is '$'; expands what follows and advances *i past it.
  bool Dollar(std::string_view text, size_t* i, std::string* out) {
    std::string_view rest = text.substr(*i + 1);
    // Every text expanded is a piece of whole_ (defaults are substrings),
    // so a failure's place is an offset into what the caller gave.
    at_ = size_t(text.data() + *i - whole_.data());
    if (!rest.empty() && rest[0] == '$') {
      out->push_back('$');
      *i += 2;
      return true;
    }
    if (!rest.empty() && rest[0] == '{') {
      size_t close = FindClose(text, *i + 2);
      if (close == std::string_view::npos) {
        *err_ = fmt::format("unterminated '${{' in \"{}\"", LineAround(text, *i));
        Fail(false);
        return false;
      }
      std::string_view body = text.substr(*i + 2, close - *i - 2);
      *i = close + 1;
      return Braced(body, out);
    }
    size_t n = NameLength(rest);
    if (n == 0) {
      *err_ = fmt::format("invalid '$' in \"{}\" (write '$$' for a literal '$')",
                          LineAround(text, *i));
      Fail(false);
      return false;
    }
    *i += 1 + n;
    return Plain(rest.substr(0, n), out);
  }

  bool Plain(std::string_view name, std::string* out) {
    auto it = env_.find(std::string(name));
    if (it == env_.end()) {
      *err_ =
          fmt::format("variable '{}' is not set (use ${{{}:-default}} for a default)", name, name);
      Fail(true);
      return false;
    }
    out->append(it->second);
    return true;
  }

  // The inside of "${...}": NAME, then nothing or one of :- - :? ?.
  bool Braced(std::string_view body, std::string* out) {
    size_t n = NameLength(body);
    std::string_view name = body.substr(0, n), op = body.substr(n);
    bool colon = !op.empty() && op[0] == ':';
    if (colon) op.remove_prefix(1);
    if (n == 0 || (op.empty() && colon) || (!op.empty() && op[0] != '-' && op[0] != '?')) {
      *err_ = fmt::format("invalid variable reference '${{{}}}'", body);
      Fail(false);
      return false;
    }
    if (op.empty()) return Plain(name, out);
    auto it = env_.find(std::string(name));
    bool missing = it == env_.end() || (colon && it->second.empty());
    if (!missing) {
      out->append(it->second);
      return true;
    }
    if (op[0] == '-') return Expand(op.substr(1), out);
    return Required(name, op.substr(1), colon);
  }

  // ${VAR:?message} with VAR missing: always an error, the message expanded.
  bool Required(std::string_view name, std::string_view message, bool colon) {
    std::string text;
    size_t at = at_;
    if (!Expand(message, &text)) return false;
    at_ = at;
    Fail(true);
    const char* what = colon ? "is not set or empty" : "is not set";
    *err_ = text.empty() ? fmt::format("variable '{}' {}", name, what)
                         : fmt::format("variable '{}' {}: {}", name, what, text);
    return false;
  }

  // Records where the first failure is; an inner one (in a default) wins
  // because it is recorded first and the outer ones return at once.
  void Fail(bool unset) {
    if (why_ && !failed_) {
      why_->offset = at_;
      why_->unset = unset;
    }
    failed_ = true;
  }

  std::string_view whole_;
  const EnvMap& env_;
  std::string* err_;
  InterpolateFailure* why_;
  size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace

bool Interpolate(std::string_view text, const EnvMap& env, std::string* out, std::string* err,
                 InterpolateFailure* why) {
  out->clear();
  if (text.find('$') == std::string_view::npos) {
    out->assign(text);  // the common case: nothing to do
    return true;
  }
  return Expander(text, env, err, why).Expand(text, out);
}

void LineColumn(std::string_view text, size_t offset, size_t* line, size_t* column) {
  *line = 1;
  size_t start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') ++*line, start = i + 1;
  *column = offset - start + 1;
}

}  // namespace steward
