// A reload's diff: which services were removed, changed or added, and
// whether [log] changed, field by field over the effective definitions.
#include "steward/config/config_diff.hpp"

#include <tuple>

namespace steward {

namespace {

// C++17 has no defaulted operator==: each struct is compared as a tuple of
// all its fields. A field added to a struct must be added here, or a change
// to it would not restart the service (config_diff_test covers each one).
auto Tie(const Command& c) { return std::tie(c.argv, c.shell); }

bool Same(const Command& a, const Command& b) { return Tie(a) == Tie(b); }

bool Same(const ReadyCheck& a, const ReadyCheck& b) {
  return std::tie(a.kind, a.notify_fd, a.host, a.port, a.file, a.timeout, a.interval) ==
             std::tie(b.kind, b.notify_fd, b.host, b.port, b.file, b.timeout, b.interval) &&
         Same(a.command, b.command);
}

bool Same(const HealthCheck& a, const HealthCheck& b) {
  return std::tie(a.enabled, a.interval, a.timeout, a.retries, a.start_period,
                  a.restart_on_unhealthy) == std::tie(b.enabled, b.interval, b.timeout, b.retries,
                                                      b.start_period, b.restart_on_unhealthy) &&
         Same(a.test, b.test);
}

bool Same(const Identity& a, const Identity& b) {
  return std::tie(a.set, a.uid, a.gid, a.groups, a.name, a.home) ==
         std::tie(b.set, b.uid, b.gid, b.groups, b.name, b.home);
}

bool Same(const std::vector<ResourceLimit>& a, const std::vector<ResourceLimit>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tie(a[i].resource, a[i].soft, a[i].hard) != std::tie(b[i].resource, b[i].soft, b[i].hard))
      return false;
  }
  return true;
}

bool Same(const ServiceLogConfig& a, const ServiceLogConfig& b) {
  return std::tie(a.console, a.sinks, a.prefix) == std::tie(b.console, b.sinks, b.prefix);
}

bool Enabled(const ServiceConfig* s) { return s && s->enabled; }

}  // namespace

bool SameService(const ServiceConfig& a, const ServiceConfig& b) {
  return std::tie(a.name, a.type, a.depends_on, a.main, a.enabled, a.restart, a.restart_delay,
                  a.restart_delay_max, a.max_restarts, a.on_failure, a.stop_signal,
                  a.stop_grace_period, a.kill_mode, a.working_dir, a.umask, a.environment,
                  a.env_files, a.env_digest, a.clear_env, a.no_new_privileges,
                  a.from_command_line) ==
             std::tie(b.name, b.type, b.depends_on, b.main, b.enabled, b.restart, b.restart_delay,
                      b.restart_delay_max, b.max_restarts, b.on_failure, b.stop_signal,
                      b.stop_grace_period, b.kill_mode, b.working_dir, b.umask, b.environment,
                      b.env_files, b.env_digest, b.clear_env, b.no_new_privileges,
                      b.from_command_line) &&
         Same(a.command, b.command) && Same(a.stop_command, b.stop_command) &&
         Same(a.identity, b.identity) && Same(a.limits, b.limits) && Same(a.ready, b.ready) &&
         Same(a.healthcheck, b.healthcheck) && Same(a.log, b.log);
}

bool SameSink(const SinkConfig& a, const SinkConfig& b) {
  return std::tie(a.name, a.type, a.url, a.octet_counting, a.rfc3164, a.facility, a.hostname,
                  a.services, a.buffer, a.overflow_block, a.path, a.rotate_size, a.keep, a.window,
                  a.tls_ca, a.tls_cert, a.tls_key, a.tls_server_name, a.tls_verify) ==
         std::tie(b.name, b.type, b.url, b.octet_counting, b.rfc3164, b.facility, b.hostname,
                  b.services, b.buffer, b.overflow_block, b.path, b.rotate_size, b.keep, b.window,
                  b.tls_ca, b.tls_cert, b.tls_key, b.tls_server_name, b.tls_verify);
}

bool SameLog(const LogConfig& a, const LogConfig& b) {
  if (std::tie(a.console, a.console_drop_oldest, a.max_line, a.partial_flush, a.ring,
               a.syslog_socket) != std::tie(b.console, b.console_drop_oldest, b.max_line,
                                            b.partial_flush, b.ring, b.syslog_socket))
    return false;
  if (a.sinks.size() != b.sinks.size()) return false;
  for (size_t i = 0; i < a.sinks.size(); ++i) {
    if (!SameSink(a.sinks[i], b.sinks[i])) return false;
  }
  return true;
}

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
