// The option parser of every command line (args.hpp).
#include "steward/util/args.hpp"

#include <string_view>

namespace steward {

namespace {

const ArgOption* FindLong(const ArgSpec& spec, std::string_view name) {
  for (const ArgOption& o : spec.options) {
    if (o.name && name == o.name) return &o;
  }
  return nullptr;
}

const ArgOption* FindShort(const ArgSpec& spec, char c) {
  for (const ArgOption& o : spec.options) {
    if (o.short_name && o.short_name == c) return &o;
  }
  return nullptr;
}

struct Parser {
  const std::vector<std::string>& args;
  const ArgSpec& spec;
  std::string* err;
  size_t i;

  bool Unknown(std::string_view name) {
    *err = "unknown option '" + std::string(name) + "'" + spec.unknown_hint;
    return false;
  }

  // The value from the next argument.
  bool Next(std::string_view name, std::string* value) {
    if (i + 1 >= args.size()) {
      *err = "option '" + std::string(name) + "' needs a value";
      return false;
    }
    *value = args[++i];
    return true;
  }

  bool Long(std::string_view arg) {
    std::string_view name = arg;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) name = arg.substr(0, eq);
    const ArgOption* o = FindLong(spec, name);
    if (!o) return Unknown(name);
    std::string value;
    if (!o->takes_value) {
      if (eq != std::string_view::npos) {
        *err = "option '" + std::string(name) + "' takes no value";
        return false;
      }
    } else if (eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (!Next(name, &value)) {
      return false;
    }
    return o->apply(value, err);
  }

  bool Short(std::string_view arg) {
    for (size_t k = 1; k < arg.size(); ++k) {
      std::string name = std::string("-") + arg[k];
      const ArgOption* o = FindShort(spec, arg[k]);
      if (!o) return Unknown(name);
      if (!o->takes_value) {
        if (!o->apply("", err)) return false;
        continue;
      }
      std::string value;
      std::string_view rest = arg.substr(k + 1);
      if (!rest.empty() && rest[0] == '=') rest.remove_prefix(1);
      if (!rest.empty()) {
        value = std::string(rest);
      } else if (arg.size() > k + 1) {
        value.clear();  // "-x=": an empty value
      } else if (!Next(name, &value)) {
        return false;
      }
      return o->apply(value, err);
    }
    return true;
  }
};

}  // namespace

bool ParseArgs(const std::vector<std::string>& args, size_t first, const ArgSpec& spec,
               std::string* err, size_t* end) {
  Parser p{args, spec, err, first};
  bool words_after_dashes = false;
  for (; p.i < args.size(); ++p.i) {
    const std::string& a = args[p.i];
    bool option = !words_after_dashes && a.size() > 1 && a[0] == '-';
    if (option && a == "--") {
      words_after_dashes = true;
      if (!spec.word) {
        ++p.i;
        break;
      }
      continue;
    }
    if (option && spec.dash_word && a[1] != '-' && !FindShort(spec, a[1]) && spec.dash_word(a)) {
      continue;  // taken by the hook
    }
    if (!option) {
      if (!spec.word) break;  // the first word ends the options
      if (!spec.word(a, err)) return false;
      continue;
    }
    if (!(a[1] == '-' ? p.Long(a) : p.Short(a))) return false;
  }
  if (end) *end = p.i;
  return true;
}

}  // namespace steward
