// The reload diff: every field of a service's effective definition counts
// (one mutation per field config_fields.hpp lists, made from the lists), the
// file it came from does not, and [log] changes are told apart from service
// changes.
#include "steward/config/config_diff.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "steward/config/config_fields.hpp"

namespace steward {
namespace {

ServiceConfig Base(const std::string& name) {
  ServiceConfig c;
  c.name = name;
  c.path = "/etc/services/" + name + ".toml";
  c.command.argv = {"/bin/" + name};
  return c;
}

Config Of(std::vector<ServiceConfig> services) {
  Config c;
  c.services = std::move(services);
  return c;
}

// ---- one case per listed field (config_fields.hpp), made from the lists ----

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T, class = void>
struct Listed : std::false_type {};
template <class T>
struct Listed<T, std::void_t<decltype(FieldsOf<T>::kList)>> : std::true_type {};

// A value that differs from v, whatever v is.
template <class T>
void Change(T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    v = !v;
  } else if constexpr (std::is_enum_v<T>) {
    v = T(int(v) + 1);
  } else if constexpr (std::is_arithmetic_v<T>) {
    v = T(v + 1);
  } else if constexpr (std::is_same_v<T, Duration>) {
    v += Duration(1);
  } else if constexpr (std::is_same_v<T, std::string>) {
    v += "x";
  } else if constexpr (IsOptional<T>::value) {
    if (v)
      v.reset();
    else
      v.emplace();
  } else {
    static_assert(IsVector<T>::value, "a field type the test cannot change: teach Change()");
    v.emplace_back();
  }
}

template <class Root>
struct Case {
  std::string field;
  OnReload on;
  std::function<void(Root&)> mutate;
};

// The cases for the member `at` reaches in a Root like `base`: one per leaf
// field; a listed member through its list; a vector of listed elements
// grown, and each element the base holds through its list.
template <class Root, class T>
void Walk(const Root& base, std::function<T&(Root&)> at, const std::string& name, OnReload on,
          std::vector<Case<Root>>* out) {
  if constexpr (Listed<T>::value) {
    std::apply(
        [&](auto... f) {
          (Walk<Root, typename decltype(f)::Type>(
               base, [at, f](Root& r) -> typename decltype(f)::Type& { return at(r).*f.member; },
               name + (name.empty() ? "" : ".") + f.name, on == OnReload::kRestarts ? f.on : on,
               out),
           ...);
        },
        FieldsOf<T>::kList);
  } else {
    out->push_back({name, on, [at](Root& r) { Change(at(r)); }});
    if constexpr (IsVector<T>::value) {
      using E = typename T::value_type;
      if constexpr (Listed<E>::value) {
        Root copy = base;
        for (size_t i = 0; i < at(copy).size(); ++i) {
          Walk<Root, E>(
              base, [at, i](Root& r) -> E& { return at(r)[i]; },
              name + "[" + std::to_string(i) + "]", on, out);
        }
      }
    }
  }
}

template <class Root>
std::vector<Case<Root>> EveryField(const Root& base) {
  std::vector<Case<Root>> cases;
  Walk<Root, Root>(
      base, [](Root& r) -> Root& { return r; }, "", OnReload::kRestarts, &cases);
  return cases;
}

TEST(ConfigDiff, EveryListedFieldOfAServiceIsClassified) {
  std::vector<Case<ServiceConfig>> cases = EveryField(Base("web"));
  EXPECT_GE(cases.size(), 50u);
  for (const Case<ServiceConfig>& c : cases) {
    ServiceConfig changed = Base("web");
    c.mutate(changed);
    ConfigDiff d = DiffConfigs(Of({Base("web")}), Of({changed}));
    EXPECT_FALSE(d.log_changed) << c.field;
    switch (c.on) {
      case OnReload::kRestarts:
        EXPECT_FALSE(SameService(Base("web"), changed)) << c.field;
        EXPECT_EQ(std::vector<std::string>{"web"}, d.changed) << c.field;
        EXPECT_TRUE(d.removed.empty() && d.added.empty()) << c.field;
        break;
      case OnReload::kAddsOrRemoves:  // renamed or disabled: "web" is gone
        EXPECT_EQ(std::vector<std::string>{"web"}, d.removed) << c.field;
        EXPECT_TRUE(d.changed.empty()) << c.field;
        break;
      case OnReload::kIgnored:
        EXPECT_TRUE(SameService(Base("web"), changed)) << c.field;
        EXPECT_TRUE(d.empty()) << c.field;
        break;
    }
  }
}

TEST(ConfigDiff, EveryListedFieldOfLogIsALogChange) {
  Config base = Of({Base("web")});
  SinkConfig sink;
  sink.name = "all";
  sink.path = "/var/log/all.log";
  base.global.log.sinks.push_back(sink);
  std::vector<Case<LogConfig>> cases = EveryField(base.global.log);
  EXPECT_GE(cases.size(), 25u);  // [log]'s own fields and each of the sink's
  for (const Case<LogConfig>& c : cases) {
    ASSERT_EQ(OnReload::kRestarts, c.on) << c.field;
    Config changed = base;
    c.mutate(changed.global.log);
    EXPECT_FALSE(SameLog(base.global.log, changed.global.log)) << c.field;
    ConfigDiff d = DiffConfigs(base, changed);
    EXPECT_TRUE(d.log_changed) << c.field;
    EXPECT_TRUE(d.changed.empty() && d.removed.empty() && d.added.empty()) << c.field;
  }
}

TEST(ConfigDiff, TheFileAServiceCameFromDoesNotCount) {
  ServiceConfig moved = Base("web");
  moved.path = "/config/etc/services/web.toml";
  EXPECT_TRUE(SameService(Base("web"), moved));
  EXPECT_TRUE(DiffConfigs(Of({Base("web")}), Of({moved})).empty());
}

TEST(ConfigDiff, RemovedDisabledAddedAndEnabled) {
  ServiceConfig off = Base("b");
  off.enabled = false;
  ConfigDiff d =
      DiffConfigs(Of({Base("a"), Base("b"), Base("c")}), Of({off, Base("c"), Base("d")}));
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), d.removed);  // a gone, b disabled
  EXPECT_EQ(std::vector<std::string>{"d"}, d.added);
  EXPECT_TRUE(d.changed.empty());
  // Disabled before and enabled now: added, not changed.
  ConfigDiff back = DiffConfigs(Of({off}), Of({Base("b")}));
  EXPECT_EQ(std::vector<std::string>{"b"}, back.added);
  EXPECT_TRUE(back.changed.empty());
  // Disabled before and after, whatever else changed: nothing.
  ServiceConfig off2 = off;
  off2.command.argv = {"/bin/other"};
  EXPECT_TRUE(DiffConfigs(Of({off}), Of({off2})).empty());
}

TEST(ConfigDiff, LogChangesAreToldApart) {
  Config a = Of({Base("web")}), b = a;
  EXPECT_FALSE(DiffConfigs(a, b).log_changed);
  SinkConfig sink;
  sink.name = "all";
  sink.path = "/var/log/all.log";
  b.global.log.sinks.push_back(sink);
  ConfigDiff d = DiffConfigs(a, b);
  EXPECT_TRUE(d.log_changed);
  EXPECT_TRUE(d.changed.empty());
  Config c = b;
  c.global.log.sinks[0].path = "/var/log/other.log";
  EXPECT_TRUE(DiffConfigs(b, c).log_changed);
  c = b;
  c.global.log.sinks[0].tls_verify = false;
  EXPECT_TRUE(DiffConfigs(b, c).log_changed);
  c = b;
  c.global.log.console = LogConfig::Console::kJson;
  EXPECT_TRUE(DiffConfigs(b, c).log_changed);
  c = b;
  c.global.log.ring = 4096;
  EXPECT_TRUE(DiffConfigs(b, c).log_changed);
  // Global settings outside [log] are not a [log] change.
  c = b;
  c.global.grace = Duration(1);
  EXPECT_TRUE(DiffConfigs(b, c).empty());
}

}  // namespace
}  // namespace steward
