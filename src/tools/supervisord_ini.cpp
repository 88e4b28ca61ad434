// Reading a supervisord configuration as supervisord does: INI sections,
// comments, continuation lines, [include] globs, %(name)s expansions,
// shlex command lines and environment pairs.
#include "steward/tools/supervisord.hpp"

#include <errno.h>
#include <dirent.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "steward/util/fd.hpp"

namespace steward::tools {

namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string Lower(std::string s) {
  for (char& c : s) c = char(tolower(static_cast<unsigned char>(c)));
  return s;
}

// Python's ConfigParser drops an inline comment only after whitespace:
// "a ; b" -> "a", "a;b" stays.
std::string StripInlineComment(const std::string& v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] == ';' && (v[i - 1] == ' ' || v[i - 1] == '\t')) return Trim(v.substr(0, i));
  return v;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool ReadFile(const std::string& path, std::string* text, std::string* err) {
  // No iostreams: they would bring every locale facet into the static binary.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    *err = fmt::format("{}: cannot read: {}", path, strerror(errno));
    return false;
  }
  char buf[8192];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || text->size() > (16u << 20)) {
      *err = fmt::format("{}: cannot read: {}", path, n < 0 ? strerror(errno) : "larger than 16 MiB");
      return false;
    }
    text->append(buf, size_t(n));
  }
  return true;
}

// Python's glob.glob() for an absolute pattern: wildcards in any component,
// hidden names only when the pattern asks. Not glob(3): its ~user support
// drags glibc's NSS (~200 KB) into the static binary.
void Glob(const std::string& base, std::string_view rest, std::vector<std::string>* out) {
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) {
    struct stat st;
    if (stat(base.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out->push_back(base);
    return;
  }
  size_t slash = rest.find('/');
  std::string part(rest.substr(0, slash));
  std::string_view after = slash == std::string_view::npos ? "" : rest.substr(slash);
  std::string dir = base.empty() ? "/" : base;
  if (part.find_first_of("*?[") == std::string::npos) {
    Glob(base + "/" + part, after, out);
    return;
  }
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (fnmatch(part.c_str(), n.c_str(), FNM_PERIOD) == 0) names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) Glob(base + "/" + n, after, out);
}

}  // namespace

const IniEntry* IniSection::Find(std::string_view key) const {
  for (const IniEntry& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

bool ParseIni(std::string_view text, const std::string& file, std::vector<IniSection>* out,
              std::vector<std::string>* errors) {
  size_t before = errors->size();
  IniSection* cur = nullptr;
  IniEntry* last = nullptr;
  int lineno = 0;
  std::string here = DirOf(file);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++lineno;
    std::string line = Trim(raw);
    std::string where = fmt::format("{}:{}", file, lineno);
    if (line.empty() || line[0] == ';' || line[0] == '#') {
      if (line.empty()) last = nullptr;  // a blank line ends a continuation
      continue;
    }
    // An indented line continues the previous value.
    if ((raw[0] == ' ' || raw[0] == '\t') && last) {
      last->value += "\n" + StripInlineComment(line);
      continue;
    }
    if (line[0] == '[') {
      size_t close = line.find(']');
      if (close == std::string::npos) {
        errors->push_back(where + ": section header without ']'");
        cur = nullptr;
        continue;
      }
      out->push_back(IniSection{Trim(line.substr(1, close - 1)), where, here, {}});
      cur = &out->back();
      last = nullptr;
      continue;
    }
    size_t sep = line.find_first_of("=:");
    if (sep == std::string::npos) {
      errors->push_back(fmt::format("{}: '{}' is not KEY = VALUE", where, line.substr(0, 60)));
      continue;
    }
    if (!cur) {
      errors->push_back(where + ": key before any [section]");
      continue;
    }
    cur->entries.push_back(IniEntry{Lower(Trim(line.substr(0, sep))),
                                    StripInlineComment(Trim(line.substr(sep + 1))), where});
    last = &cur->entries.back();
  }
  return errors->size() == before;
}

bool ReadSupervisord(const std::string& path, std::vector<IniSection>* out,
                     std::vector<std::string>* errors) {
  std::vector<std::string> queue{path};
  std::set<std::string> seen;
  bool ok = true;
  for (size_t q = 0; q < queue.size(); ++q) {
    const std::string file = queue[q];  // a copy: the queue grows below
    if (!seen.insert(file).second) continue;
    std::string text, err;
    if (!ReadFile(file, &text, &err)) {
      errors->push_back(err);
      ok = false;
      continue;
    }
    size_t first = out->size();
    if (!ParseIni(text, file, out, errors)) ok = false;
    // supervisord reads [include] of the main file only; included files'
    // includes are not followed either. Same here.
    if (q != 0) continue;
    for (size_t i = first; i < out->size(); ++i) {
      if ((*out)[i].name != "include") continue;
      const IniEntry* files = (*out)[i].Find("files");
      if (!files) {
        errors->push_back((*out)[i].where + ": [include] without 'files'");
        ok = false;
        continue;
      }
      std::vector<std::string> patterns;
      SplitCommand(files->value, &patterns, &err);
      for (const std::string& pattern : patterns) {
        ExpandContext ctx;
        ctx.here = DirOf(file);
        std::string expanded;
        if (!Expand(pattern, ctx, &expanded, &err) || expanded.find('$') != std::string::npos) {
          errors->push_back(fmt::format("{}: include pattern '{}': {}", files->where, pattern,
                                        err.empty() ? "environment variables are not supported here" : err));
          ok = false;
          continue;
        }
        if (expanded[0] != '/') expanded = DirOf(file) + "/" + expanded;
        if (expanded[0] != '/') {  // the main file was named relative to the cwd
          char cwd[4096];
          if (getcwd(cwd, sizeof cwd)) expanded = std::string(cwd) + "/" + expanded;
        }
        std::vector<std::string> found;
        Glob("", expanded, &found);
        queue.insert(queue.end(), found.begin(), found.end());
      }
    }
  }
  return ok;
}

bool Expand(std::string_view v, const ExpandContext& ctx, std::string* out, std::string* err) {
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '$') {
      out->append("$$");
      continue;
    }
    if (c != '%') {
      out->push_back(c);
      continue;
    }
    if (i + 1 < v.size() && v[i + 1] == '%') {
      out->push_back('%');
      ++i;
      continue;
    }
    if (i + 1 >= v.size() || v[i + 1] != '(') {
      *err = fmt::format("'%' must start %(name)s or be written %% (in '{}')", v);
      return false;
    }
    size_t close = v.find(')', i);
    if (close == std::string_view::npos) {
      *err = fmt::format("unclosed %( in '{}'", v);
      return false;
    }
    std::string name(v.substr(i + 2, close - i - 2));
    // The conversion: s, or d with optional zero-padded width (02d).
    size_t k = close + 1;
    std::string spec;
    while (k < v.size() && (isdigit(static_cast<unsigned char>(v[k])) || v[k] == '-')) spec += v[k++];
    if (k >= v.size() || (v[k] != 's' && v[k] != 'd')) {
      *err = fmt::format("%({}) needs a conversion such as s or 02d", name);
      return false;
    }
    char conv = v[k];
    i = k;
    std::string value;
    bool number = false;
    int n = 0;
    if (name.rfind("ENV_", 0) == 0 && name.size() > 4) {
      out->append("${" + name.substr(4) + "}");
      continue;
    } else if (name == "program_name") value = ctx.program_name;
    else if (name == "group_name") value = ctx.group_name;
    else if (name == "here") value = ctx.here;
    else if (name == "host_node_name") {
      out->append("${HOSTNAME}");
      continue;
    } else if (name == "process_num") number = true, n = ctx.process_num;
    else if (name == "numprocs") number = true, n = ctx.numprocs;
    else {
      *err = fmt::format("unknown expansion %({}){}", name, conv);
      return false;
    }
    if (number) {
      int width = spec.empty() ? 0 : atoi(spec.c_str());
      value = fmt::format("{:0{}}", n, width);
    }
    // A literal value may hold a '$' too.
    for (char ch : value) out->append(ch == '$' ? "$$" : std::string(1, ch));
  }
  return true;
}

bool SplitCommand(std::string_view s, std::vector<std::string>* out, std::string* err) {
  out->clear();
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out->push_back(word), word.clear(), in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < s.size()) word.push_back(s[++i]);
      continue;
    }
    if (c == '\'') {
      size_t end = s.find('\'', i + 1);
      if (end == std::string_view::npos) {
        *err = "unclosed ' in the command";
        return false;
      }
      word.append(s.substr(i + 1, end - i - 1));
      i = end;
      continue;
    }
    if (c == '"') {
      size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size() && strchr("\\\"$`", s[j + 1])) ++j;
        word.push_back(s[j]);
      }
      if (j >= s.size()) {
        *err = "unclosed \" in the command";
        return false;
      }
      i = j;
      continue;
    }
    word.push_back(c);
  }
  if (in_word) out->push_back(word);
  if (out->empty()) {
    *err = "the command is empty";
    return false;
  }
  return true;
}

bool ParseEnvironment(std::string_view text, std::vector<std::pair<std::string, std::string>>* out,
                      std::string* err) {
  out->clear();
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && strchr(" \t\r\n", text[i])) ++i;
  };
  while (true) {
    skip();
    if (i >= text.size()) return true;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) {
      *err = fmt::format("'{}' is not KEY=VALUE", Trim(text.substr(i)));
      return false;
    }
    std::string key = Trim(text.substr(i, eq - i));
    i = eq + 1;
    skip();
    std::string value;
    if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
      char q = text[i];
      size_t end = text.find(q, i + 1);
      if (end == std::string_view::npos) {
        *err = fmt::format("unclosed {} in the value of {}", q, key);
        return false;
      }
      value = std::string(text.substr(i + 1, end - i - 1));
      i = end + 1;
      skip();
    } else {
      size_t end = text.find(',', i);
      value = Trim(text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
      i = end == std::string_view::npos ? text.size() : end;
    }
    if (key.empty()) {
      *err = "a variable without a name";
      return false;
    }
    out->emplace_back(key, value);
    if (i < text.size() && text[i] == ',') ++i;
    else if (i < text.size()) {
      *err = fmt::format("expected ',' after the value of {}", key);
      return false;
    }
  }
}

}  // namespace steward::tools
