// A reload's diff: which services were removed, changed or added, and
// whether [log] changed, field by field over the effective definitions.
// The fields compared are config_fields.hpp's lists, which the build ties
// to the structs: none can be forgotten.
#include "steward/config/config_diff.hpp"

#include <tuple>
#include <type_traits>

#include "steward/config/config_fields.hpp"

namespace steward {

namespace {

template <class T, class = void>
struct Listed : std::false_type {};
template <class T>
struct Listed<T, std::void_t<decltype(FieldsOf<T>::kList)>> : std::true_type {};

template <class T>
struct ListedVector : std::false_type {};
template <class T>
struct ListedVector<std::vector<T>> : Listed<T> {};

// Every listed field but the ignored ones; a member with a list of its own
// (a Command, each sink) through that list, any other with ==.
template <class T>
bool Same(const T& a, const T& b) {
  if constexpr (Listed<T>::value) {
    return std::apply(
        [&](auto... f) {
          return ((f.on == OnReload::kIgnored || Same(a.*f.member, b.*f.member)) && ...);
        },
        FieldsOf<T>::kList);
  } else if constexpr (ListedVector<T>::value) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  } else {
    return a == b;
  }
}

bool Enabled(const ServiceConfig* s) { return s && s->enabled; }

}  // namespace

bool SameService(const ServiceConfig& a, const ServiceConfig& b) { return Same(a, b); }
bool SameSink(const SinkConfig& a, const SinkConfig& b) { return Same(a, b); }
bool SameLog(const LogConfig& a, const LogConfig& b) { return Same(a, b); }

ConfigDiff DiffConfigs(const Config& running, const Config& next) {
  ConfigDiff d;
  for (const ServiceConfig& old : running.services) {
    if (!old.enabled) continue;
    const ServiceConfig* now = next.Find(old.name);
    if (!Enabled(now)) {
      d.removed.push_back(old.name);
    } else if (!SameService(old, *now)) {
      d.changed.push_back(old.name);
    }
  }
  for (const ServiceConfig& now : next.services) {
    if (now.enabled && !Enabled(running.Find(now.name))) d.added.push_back(now.name);
  }
  d.log_changed = !SameLog(running.global.log, next.global.log);
  return d;
}

}  // namespace steward
