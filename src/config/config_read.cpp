// The pieces every configuration reader shares: positioned diagnostics, TOML access.
#include "config_read.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "steward/config/parse.hpp"

namespace steward {

void Diagnostics::Add(size_t file, const std::string& path, toml::source_position pos,
                      std::string message) {
  // A position toml++ does not know (a table made by a profile merge, a
  // whole-file problem) is shown as 1:1, which editors still jump to.
  uint64_t line = pos.line ? pos.line : 1, column = pos.column ? pos.column : 1;
  items_.push_back({file, line, column, fmt::format("{}:{}:{}: {}", path, line, column, message)});
}

void Diagnostics::AddPlain(size_t file, std::string text) {
  items_.push_back({file, 0, 0, std::move(text)});
}

void Diagnostics::AppendSorted(std::vector<std::string>* out) const {
  std::vector<const Item*> sorted;
  for (const Item& i : items_) sorted.push_back(&i);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Item* a, const Item* b) {
    return std::tie(a->file, a->line, a->column) < std::tie(b->file, b->line, b->column);
  });
  for (const Item* i : sorted) out->push_back(i->text);
}

void FileCtx::Error(const toml::node& at, std::string message) {
  if (poisoned.count(&at)) return;
  ErrorAt(at.source(), std::move(message));
}

void FileCtx::ErrorAt(const toml::source_region& at, std::string message) {
  diags->Add(index, path, at.begin, std::move(message));
}

void FileCtx::Warn(const toml::node& at, std::string message) {
  warnings->Add(index, path, at.source().begin, std::move(message));
}

std::string FileCtx::Dir() const {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

const char* TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

namespace {

// Levenshtein distance, ignoring case: `Command` is as close as it gets.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = tolower(static_cast<unsigned char>(a[i - 1])) ==
                  tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  // Close enough to be a typo: at most two edits, and not so many that a
  // short word could become anything ('x' is not a typo of 'db').
  size_t best = 3;
  const std::string* pick = nullptr;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best && d * 2 <= word.size() && d < c.size()) best = d, pick = &c;
  }
  return pick ? fmt::format(" (did you mean '{}'?)", *pick) : "";
}

std::vector<std::pair<const toml::key*, const toml::node*>> InSourceOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, v] : t) entries.emplace_back(&k, &v);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const toml::source_position &pa = a.first->source().begin, &pb = b.first->source().begin;
    return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
  });
  return entries;
}

void UnknownKey(FileCtx& c, const toml::key& k, const char* where, std::vector<std::string> known) {
  std::string in = *where ? fmt::format(" in [{}]", where) : "";
  c.ErrorAt(k.source(), fmt::format("unknown key '{}'{}{}", k.str(), in, Suggest(k.str(), known)));
}

bool ReadString(FileCtx& c, const toml::node& v, const char* label, std::string* out) {
  if (const auto* s = v.as_string()) {
    *out = s->get();
    return true;
  }
  c.Error(v, fmt::format("'{}' must be a string, not {}", label, TypeName(v)));
  return false;
}

bool ReadBool(FileCtx& c, const toml::node& v, const char* label, bool* out) {
  if (const auto* b = v.as_boolean()) {
    *out = b->get();
    return true;
  }
  c.Error(v, fmt::format("'{}' must be true or false, not {}", label, TypeName(v)));
  return false;
}

bool ReadInt(FileCtx& c, const toml::node& v, const char* label, int64_t min, int64_t max,
             int64_t* out) {
  const auto* i = v.as_integer();
  if (!i) {
    c.Error(v, fmt::format("'{}' must be an integer, not {}", label, TypeName(v)));
    return false;
  }
  if (i->get() < min || i->get() > max) {
    // An upper bound that only guards the C type is not worth mentioning.
    bool below = i->get() < min && max >= INT32_MAX;
    c.Error(v, below ? fmt::format("'{}' must be {} or more, not {}", label, min, i->get())
                     : fmt::format("'{}' must be between {} and {}, not {}", label, min, max,
                                   i->get()));
    return false;
  }
  *out = i->get();
  return true;
}

bool ReadDuration(FileCtx& c, const toml::node& v, const char* label, Duration* out) {
  std::string text, err;
  if (const auto* i = v.as_integer()) {
    text = std::to_string(i->get());  // a bare integer means seconds
  } else if (const auto* s = v.as_string()) {
    text = s->get();
  } else {
    c.Error(v,
            fmt::format("'{}' must be a duration string like \"5s\", not {}", label, TypeName(v)));
    return false;
  }
  if (!ParseDuration(text, out, &err)) {
    c.Error(v, fmt::format("{}: {}", label, err));
    return false;
  }
  return true;
}

bool ReadSize(FileCtx& c, const toml::node& v, const char* label, uint64_t* out) {
  std::string text, err;
  if (const auto* i = v.as_integer()) {
    text = std::to_string(i->get());  // a bare integer means bytes
  } else if (const auto* s = v.as_string()) {
    text = s->get();
  } else {
    c.Error(v,
            fmt::format("'{}' must be a size string like \"16MiB\", not {}", label, TypeName(v)));
    return false;
  }
  if (!ParseSize(text, out, &err)) {
    c.Error(v, fmt::format("{}: {}", label, err));
    return false;
  }
  return true;
}

bool ReadStrings(FileCtx& c, const toml::node& v, const char* label,
                 std::vector<std::string>* out) {
  const auto* a = v.as_array();
  if (!a) {
    c.Error(v, fmt::format("'{}' must be an array of strings, not {}", label, TypeName(v)));
    return false;
  }
  std::vector<std::string> strings;
  bool ok = true;
  for (const toml::node& e : *a) {
    if (const auto* s = e.as_string()) {
      strings.push_back(s->get());
    } else {
      c.Error(e, fmt::format("'{}' must contain only strings, not {}", label, TypeName(e)));
      ok = false;
    }
  }
  if (ok) *out = std::move(strings);
  return ok;
}

bool ReadCommand(FileCtx& c, const toml::node& v, const char* label, Command* out) {
  Command cmd;
  if (const auto* s = v.as_string()) {
    cmd.argv = {"/bin/sh", "-c", s->get()};
    cmd.shell = true;
    if (s->get().find_first_not_of(" \t\n") == std::string::npos) cmd.argv.clear();
  } else if (v.is_array()) {
    if (!ReadStrings(c, v, label, &cmd.argv)) return false;
    if (!cmd.argv.empty() && cmd.argv[0].empty()) {
      c.Error(v, fmt::format("'{}' must not start with an empty string", label));
      return false;
    }
  } else {
    c.Error(
        v, fmt::format("'{}' must be an array of strings or a string, not {}", label, TypeName(v)));
    return false;
  }
  if (cmd.argv.empty()) {
    c.Error(v, fmt::format("'{}' must not be empty", label));
    return false;
  }
  *out = std::move(cmd);
  return true;
}

bool ReadAbsolutePath(FileCtx& c, const toml::node& v, const char* label, std::string* out) {
  std::string s;
  if (!ReadString(c, v, label, &s)) return false;
  if (s.empty() || s[0] != '/') {
    c.Error(v, fmt::format("'{}' must be an absolute path, not \"{}\"", label, s));
    return false;
  }
  *out = std::move(s);
  return true;
}

bool ReadKillMode(FileCtx& c, const toml::node& v, const char* label,
                  std::optional<KillMode>* out) {
  static const Choice<KillMode> kModes[] = {{"group", KillMode::kGroup},
                                            {"process", KillMode::kProcess}};
  KillMode m;
  if (!ReadChoice(c, v, label, kModes, &m)) return false;
  *out = m;
  return true;
}

const toml::table* ReadTable(FileCtx& c, const toml::node& v, const char* label) {
  if (const auto* t = v.as_table()) return t;
  c.Error(v, fmt::format("'{}' must be a table, not {}", label, TypeName(v)));
  return nullptr;
}

namespace {

// "a", "b" or "c" -> "\"a\", \"b\" or \"c\""
std::string Alternatives(const std::vector<const char*>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += fmt::format("\"{}\"", names[i]);
  }
  return out;
}

}  // namespace

int ReadChoiceIndex(FileCtx& c, const toml::node& v, const char* label,
                    const std::vector<const char*>& names) {
  const auto* s = v.as_string();
  if (s) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (s->get() == names[i]) return int(i);
    }
  }
  std::string got = s ? fmt::format("\"{}\"", s->get()) : TypeName(v);
  c.Error(v, fmt::format("'{}' must be {}, not {}", label, Alternatives(names), got));
  return -1;
}

bool ParseHostPort(std::string_view s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = s.substr(0, colon);
  uint64_t p;
  if (!ParseUnsigned(s.substr(colon + 1), &p) || p < 1 || p > 65535) return false;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);  // [::1]:80
  } else if (h.find(':') != std::string_view::npos) {
    return false;  // an IPv6 address needs brackets, or the port is ambiguous
  }
  if (h.empty()) return false;
  host->assign(h);
  *port = uint16_t(p);
  return true;
}

}  // namespace steward
