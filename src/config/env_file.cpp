// Env files: `KEY=VALUE` lines read at each start of a service, safely;
// the whole-file reader for configuration.
#include "steward/config/env_file.hpp"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <string_view>

#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/safe_path.hpp"

namespace steward {

bool ReadFile(const std::string& path, std::string* content, std::string* err, struct stat* st,
              size_t max) {
  // O_NONBLOCK: a FIFO put where a configuration file is expected never
  // blocks PID 1; it is refused below as anything but a regular file is.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    *err = SysError("open", path, errno);
    return false;
  }
  struct stat own;
  if (!st) st = &own;
  if (fstat(fd.get(), st) != 0) {
    *err = SysError("fstat", path, errno);
    return false;
  }
  if (!S_ISREG(st->st_mode)) {
    *err = fmt::format("{}: not a regular file", path);
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
    if (content->size() + size_t(n) > max) {
      *err = fmt::format("{}: larger than {} bytes", path, max);
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
    *err = "expected KEY=VALUE";  // the line is not shown: it may hold a secret
    return false;
  }
  std::string_view key = Trim(line.substr(0, eq));
  if (!ValidKey(key)) {
    *err = "invalid variable name";
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

std::string TrustFix(const struct stat& st, const std::string& path, uid_t allowed_uid) {
  // The same rule as WhoElseCanWrite: owner root, steward's user or the
  // allowed one; no g+w unless the group is root's; no o+w.
  std::string fix;
  auto add = [&fix](const std::string& step) { fix += (fix.empty() ? "" : " && ") + step; };
  uid_t self = geteuid();
  if (st.st_uid != 0 && st.st_uid != self && st.st_uid != allowed_uid)
    add(self == 0 ? "chown root " + path : fmt::format("chown {} {}", self, path));
  if ((st.st_mode & S_IWGRP) && st.st_gid != 0) add("chmod g-w " + path);
  if (st.st_mode & S_IWOTH) add("chmod o-w " + path);
  return fix;
}

namespace {

// What to do about a refused env_file, by the reason safe_path gave.
const char* EnvFileFix(int err) {
  switch (err) {
    case ELOOP:
      return "name the file itself in env_file, or keep the link where only root can write";
    case ENXIO:
      return "env_file must name a regular file";
    case EMLINK:
      return "env_file must not be a hard link to another file";
    case EFBIG:
      return "an env_file is at most 1 MiB";
    default:
      return nullptr;
  }
}

// FNV-1a: enough to notice that an env_file changed (it is not a secret).
uint64_t Digest(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

EnvFileRead ReadEnvFile(const std::string& path, uid_t owner) {
  EnvFileRead r;
  std::string text;
  PathError perr;
  struct stat st;
  if (!ReadSafely(path, kEnvFileMax, &text, &perr, &st)) {
    r.missing = perr.err == ENOENT;
    const char* fix = EnvFileFix(perr.err);
    r.error = fix ? fmt::format("{}; {}", perr.text, fix) : perr.text;
    return r;
  }
  std::string who = WhoElseCanWrite(st, owner);
  if (!who.empty()) {
    r.error = fmt::format("{}: {}; someone else could set the service's environment ({})", path,
                          who, TrustFix(st, path, owner));
    return r;
  }
  r.digest = Digest(text);
  if (!ParseEnvText(path, text, &r.vars, &r.error)) r.vars.clear();
  return r;
}

std::string EnvDigestPart(const EnvFileRead& r) {
  if (r.missing) return "-;";
  if (!r.error.empty()) return "!;";
  return fmt::format("{:016x};", r.digest);
}

}  // namespace steward
