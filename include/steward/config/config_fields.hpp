// Every field of the configuration a reload compares (config_diff.hpp),
// each classified by what a change to it does. The reload diff and its
// test (tests/config/config_diff_test.cpp, which changes every listed field
// in turn) are both made from these lists, and a static_assert ties each
// list to its struct: a field added to the struct and not here fails the
// build until it is listed and classified.
//
// Lists are in declaration order (the check lays the listed members out as
// the compiler does and compares with sizeof). A field that fits in the
// struct's padding escapes the check: list every new field anyway.
#pragma once

#include <cstddef>
#include <tuple>

#include "steward/config/config.hpp"

namespace steward {

enum class OnReload {
  kRestarts,       // a service's field: the service restarts; [log]'s: the forwarder hands over
  kAddsOrRemoves,  // `name` (services are matched by it), `enabled`: added or removed
  kIgnored,        // not part of the definition (the file a service came from)
};

template <class S, class T>
struct ConfigField {
  using Type = T;
  const char* name;
  T S::*member;
  OnReload on;
};
template <class S, class T>
constexpr ConfigField<S, T> Field(const char* name, T S::*member,
                                  OnReload on = OnReload::kRestarts) {
  return {name, member, on};
}

// FieldsOf<S>::kList: a std::tuple of ConfigField. A member whose type has
// a list of its own is compared (and tested) field by field through it.
template <class S>
struct FieldsOf;

template <>
struct FieldsOf<Command> {
  static constexpr auto kList =
      std::make_tuple(Field("argv", &Command::argv), Field("shell", &Command::shell));
};
template <>
struct FieldsOf<ReadyCheck> {
  using R = ReadyCheck;
  static constexpr auto kList = std::make_tuple(
      Field("kind", &R::kind), Field("notify_fd", &R::notify_fd), Field("host", &R::host),
      Field("port", &R::port), Field("command", &R::command), Field("file", &R::file),
      Field("timeout", &R::timeout), Field("interval", &R::interval));
};
template <>
struct FieldsOf<HealthCheck> {
  using H = HealthCheck;
  static constexpr auto kList =
      std::make_tuple(Field("enabled", &H::enabled), Field("test", &H::test),
                      Field("interval", &H::interval), Field("timeout", &H::timeout),
                      Field("retries", &H::retries), Field("start_period", &H::start_period),
                      Field("restart_on_unhealthy", &H::restart_on_unhealthy));
};
template <>
struct FieldsOf<Identity> {
  using I = Identity;
  static constexpr auto kList = std::make_tuple(Field("set", &I::set), Field("uid", &I::uid),
                                                Field("gid", &I::gid), Field("groups", &I::groups),
                                                Field("name", &I::name), Field("home", &I::home));
};
template <>
struct FieldsOf<ResourceLimit> {
  using L = ResourceLimit;
  static constexpr auto kList = std::make_tuple(Field("resource", &L::resource),
                                                Field("soft", &L::soft), Field("hard", &L::hard));
};
template <>
struct FieldsOf<ServiceLogConfig> {
  using L = ServiceLogConfig;
  static constexpr auto kList = std::make_tuple(
      Field("console", &L::console), Field("sinks", &L::sinks), Field("prefix", &L::prefix));
};
template <>
struct FieldsOf<ServiceConfig> {
  using S = ServiceConfig;
  static constexpr auto kList = std::make_tuple(
      Field("name", &S::name, OnReload::kAddsOrRemoves),
      Field("path", &S::path, OnReload::kIgnored), Field("command", &S::command),
      Field("type", &S::type), Field("depends_on", &S::depends_on), Field("main", &S::main),
      Field("enabled", &S::enabled, OnReload::kAddsOrRemoves), Field("restart", &S::restart),
      Field("restart_delay", &S::restart_delay), Field("restart_delay_max", &S::restart_delay_max),
      Field("max_restarts", &S::max_restarts), Field("on_failure", &S::on_failure),
      Field("stop_signal", &S::stop_signal), Field("stop_grace_period", &S::stop_grace_period),
      Field("stop_command", &S::stop_command), Field("kill_mode", &S::kill_mode),
      Field("identity", &S::identity), Field("working_dir", &S::working_dir),
      Field("umask", &S::umask), Field("environment", &S::environment),
      Field("env_files", &S::env_files), Field("pid_file", &S::pid_file),
      Field("env_digest", &S::env_digest), Field("clear_env", &S::clear_env),
      Field("no_new_privileges", &S::no_new_privileges), Field("limits", &S::limits),
      Field("ready", &S::ready), Field("healthcheck", &S::healthcheck), Field("log", &S::log),
      Field("from_command_line", &S::from_command_line));
};
template <>
struct FieldsOf<SinkConfig> {
  using K = SinkConfig;
  static constexpr auto kList = std::make_tuple(
      Field("name", &K::name), Field("type", &K::type), Field("url", &K::url),
      Field("octet_counting", &K::octet_counting), Field("rfc3164", &K::rfc3164),
      Field("facility", &K::facility), Field("hostname", &K::hostname),
      Field("services", &K::services), Field("buffer", &K::buffer),
      Field("overflow_block", &K::overflow_block), Field("path", &K::path),
      Field("rotate_size", &K::rotate_size), Field("keep", &K::keep), Field("window", &K::window),
      Field("tls_ca", &K::tls_ca), Field("tls_cert", &K::tls_cert), Field("tls_key", &K::tls_key),
      Field("tls_server_name", &K::tls_server_name), Field("tls_verify", &K::tls_verify));
};
template <>
struct FieldsOf<LogConfig> {
  using L = LogConfig;
  static constexpr auto kList = std::make_tuple(
      Field("console", &L::console), Field("console_drop_oldest", &L::console_drop_oldest),
      Field("max_line", &L::max_line), Field("partial_flush", &L::partial_flush),
      Field("ring", &L::ring), Field("syslog_socket", &L::syslog_socket),
      Field("sinks", &L::sinks));
};

// The size S has with exactly the listed members, in list order.
constexpr size_t AlignUp(size_t n, size_t align) { return (n + align - 1) / align * align; }
template <class S>
constexpr size_t ListedSize() {
  size_t end = 0;
  std::apply(
      [&end](auto... f) {
        ((end = AlignUp(end, alignof(typename decltype(f)::Type)) +
                sizeof(typename decltype(f)::Type)),
         ...);
      },
      FieldsOf<S>::kList);
  return AlignUp(end, alignof(S));
}

// Whoever adds a field to one of these structs: list it above, in order,
// with what a reload does when it changes.
#define STEWARD_ALL_LISTED(S) \
  static_assert(ListedSize<S>() == sizeof(S), #S " has a field FieldsOf<" #S "> does not list")
STEWARD_ALL_LISTED(Command);
STEWARD_ALL_LISTED(ReadyCheck);
STEWARD_ALL_LISTED(HealthCheck);
STEWARD_ALL_LISTED(Identity);
STEWARD_ALL_LISTED(ResourceLimit);
STEWARD_ALL_LISTED(ServiceLogConfig);
STEWARD_ALL_LISTED(ServiceConfig);
STEWARD_ALL_LISTED(SinkConfig);
STEWARD_ALL_LISTED(LogConfig);
#undef STEWARD_ALL_LISTED

}  // namespace steward
