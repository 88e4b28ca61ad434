// Env files: `KEY=VALUE` lines read at each start of a service; the whole-file reader.
#include "steward/config/env_file.hpp"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <string_view>

#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"

namespace steward {

bool ReadFile(const std::string& path, std::string* content, std::string* err, struct stat* st) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    *err = SysError("open", path, errno);
    return false;
  }
  if (st && fstat(fd.get(), st) != 0) {
    *err = SysError("fstat", path, errno);
    return false;
  }
  content->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = SysError("read", path, errno);
      return false;
    }
    content->append(buf, size_t(n));
  }
}

namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool ValidKey(std::string_view k) {
  if (k.empty() || !(k[0] == '_' || isalpha(static_cast<unsigned char>(k[0])))) return false;
  for (char c : k) {
    if (!(c == '_' || c == '.' || isalnum(static_cast<unsigned char>(c)))) return false;
  }
  return true;
}

// After a closing quote only blanks or a comment may follow.
bool OnlyCommentLeft(std::string_view rest) {
  rest = Trim(rest);
  return rest.empty() || rest[0] == '#';
}

// The part after '"': escapes; stops at the closing quote.
bool DoubleQuoted(std::string_view s, std::string* value, std::string* err) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      if (OnlyCommentLeft(s.substr(i + 1))) return true;
      *err = "unexpected text after the closing quote";
      return false;
    }
    if (c == '\\' && i + 1 < s.size()) {
      char e = s[++i];
      switch (e) {
        case 'n':
          c = '\n';
          break;
        case 't':
          c = '\t';
          break;
        case 'r':
          c = '\r';
          break;
        case '"':
        case '\\':
        case '$':
          c = e;
          break;
        default:
          value->push_back('\\');
          c = e;  // unknown escape: kept as written
      }
    }
    value->push_back(c);
  }
  *err = "missing closing '\"'";
  return false;
}

bool SingleQuoted(std::string_view s, std::string* value, std::string* err) {
  size_t end = s.find('\'');
  if (end == std::string_view::npos) {
    *err = "missing closing \"'\"";
    return false;
  }
  if (!OnlyCommentLeft(s.substr(end + 1))) {
    *err = "unexpected text after the closing quote";
    return false;
  }
  value->assign(s.substr(0, end));
  return true;
}

// Unquoted: up to a '#' that follows a blank (so `a#b` keeps its '#').
std::string Unquoted(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '#' && IsBlank(s[i - 1])) {
      s = s.substr(0, i);
      break;
    }
  }
  return std::string(Trim(s));
}

bool ParseLine(std::string_view line, std::pair<std::string, std::string>* kv, std::string* err) {
  if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t")
    line = Trim(line.substr(7));
  size_t eq = line.find('=');
  if (eq == std::string_view::npos) {
    *err = fmt::format("expected KEY=VALUE, got '{}'", line);
    return false;
  }
  std::string_view key = Trim(line.substr(0, eq));
  if (!ValidKey(key)) {
    *err = fmt::format("invalid variable name '{}'", key);
    return false;
  }
  kv->first.assign(key);
  kv->second.clear();
  std::string_view v = Trim(line.substr(eq + 1));
  if (!v.empty() && v[0] == '"') return DoubleQuoted(v.substr(1), &kv->second, err);
  if (!v.empty() && v[0] == '\'') return SingleQuoted(v.substr(1), &kv->second, err);
  kv->second = Unquoted(v);
  return true;
}

}  // namespace

bool ParseEnvText(const std::string& path, const std::string& text,
                  std::vector<std::pair<std::string, std::string>>* out, std::string* err) {
  std::string_view rest = text;
  for (int lineno = 1; !rest.empty(); ++lineno) {
    size_t nl = rest.find('\n');
    std::string_view line = Trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty() || line[0] == '#') continue;
    std::pair<std::string, std::string> kv;
    std::string why;
    if (!ParseLine(line, &kv, &why)) {
      *err = fmt::format("{}:{}: {}", path, lineno, why);
      return false;
    }
    out->push_back(std::move(kv));
  }
  return true;
}

bool ParseEnvFile(const std::string& path, std::vector<std::pair<std::string, std::string>>* out,
                  std::string* err) {
  std::string text;
  if (!ReadFile(path, &text, err)) return false;
  return ParseEnvText(path, text, out, err);
}

}  // namespace steward
