// The reload diff: every field of a service's effective definition counts
// (one mutation each), the file it came from does not, and [log] changes are
// told apart from service changes.
#include "steward/config/config_diff.hpp"

#include <gtest/gtest.h>

#include <functional>

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

TEST(ConfigDiff, EveryFieldOfAServiceCounts) {
  using Mutation = std::function<void(ServiceConfig&)>;
  const std::vector<std::pair<const char*, Mutation>> mutations = {
      {"command", [](ServiceConfig& c) { c.command.argv.push_back("-v"); }},
      {"command.shell", [](ServiceConfig& c) { c.command.shell = true; }},
      {"type", [](ServiceConfig& c) { c.type = ServiceType::kOneshot; }},
      {"depends_on", [](ServiceConfig& c) { c.depends_on = {"db"}; }},
      {"main", [](ServiceConfig& c) { c.main = true; }},
      {"restart", [](ServiceConfig& c) { c.restart = RestartPolicy::kAlways; }},
      {"restart_delay", [](ServiceConfig& c) { c.restart_delay = Duration(7); }},
      {"restart_delay_max", [](ServiceConfig& c) { c.restart_delay_max = Duration(7); }},
      {"max_restarts", [](ServiceConfig& c) { c.max_restarts = 3; }},
      {"on_failure", [](ServiceConfig& c) { c.on_failure = OnFailure::kShutdown; }},
      {"stop_signal", [](ServiceConfig& c) { c.stop_signal = 2; }},
      {"stop_grace_period", [](ServiceConfig& c) { c.stop_grace_period = Duration(7); }},
      {"stop_command", [](ServiceConfig& c) { c.stop_command.argv = {"/bin/stop"}; }},
      {"kill_mode", [](ServiceConfig& c) { c.kill_mode = KillMode::kProcess; }},
      {"user", [](ServiceConfig& c) { c.identity.set = true; }},
      {"uid", [](ServiceConfig& c) { c.identity.uid = 7; }},
      {"gid", [](ServiceConfig& c) { c.identity.gid = 7; }},
      {"groups", [](ServiceConfig& c) { c.identity.groups = {7}; }},
      {"user name", [](ServiceConfig& c) { c.identity.name = "www"; }},
      {"home", [](ServiceConfig& c) { c.identity.home = "/home/www"; }},
      {"working_dir", [](ServiceConfig& c) { c.working_dir = "/srv"; }},
      {"umask", [](ServiceConfig& c) { c.umask = 027; }},
      {"environment", [](ServiceConfig& c) { c.environment.emplace_back("A", "1"); }},
      {"env_file", [](ServiceConfig& c) { c.env_files = {"/etc/app.env"}; }},
      {"env_file content", [](ServiceConfig& c) { c.env_digest = "0123456789abcdef;"; }},
      {"clear_env", [](ServiceConfig& c) { c.clear_env = true; }},
      {"no_new_privileges", [](ServiceConfig& c) { c.no_new_privileges = true; }},
      {"limits", [](ServiceConfig& c) { c.limits.push_back({7, 1, 2}); }},
      {"ready.kind", [](ServiceConfig& c) { c.ready.kind = ReadyCheck::Kind::kTcp; }},
      {"ready.notify_fd", [](ServiceConfig& c) { c.ready.notify_fd = 5; }},
      {"ready.host", [](ServiceConfig& c) { c.ready.host = "::1"; }},
      {"ready.port", [](ServiceConfig& c) { c.ready.port = 80; }},
      {"ready.command", [](ServiceConfig& c) { c.ready.command.argv = {"/bin/true"}; }},
      {"ready.file", [](ServiceConfig& c) { c.ready.file = "/run/ready"; }},
      {"ready.timeout", [](ServiceConfig& c) { c.ready.timeout = Duration(7); }},
      {"ready.interval", [](ServiceConfig& c) { c.ready.interval = Duration(7); }},
      {"healthcheck", [](ServiceConfig& c) { c.healthcheck.enabled = true; }},
      {"healthcheck.test", [](ServiceConfig& c) { c.healthcheck.test.argv = {"/bin/true"}; }},
      {"healthcheck.interval", [](ServiceConfig& c) { c.healthcheck.interval = Duration(7); }},
      {"healthcheck.timeout", [](ServiceConfig& c) { c.healthcheck.timeout = Duration(7); }},
      {"healthcheck.retries", [](ServiceConfig& c) { c.healthcheck.retries = 7; }},
      {"healthcheck.start_period", [](ServiceConfig& c) { c.healthcheck.start_period = Duration(7); }},
      {"on_unhealthy", [](ServiceConfig& c) { c.healthcheck.restart_on_unhealthy = true; }},
      {"log.console", [](ServiceConfig& c) { c.log.console = false; }},
      {"log.sinks", [](ServiceConfig& c) { c.log.sinks = std::vector<std::string>{"file"}; }},
      {"log.prefix", [](ServiceConfig& c) { c.log.prefix = "w"; }},
      {"from_command_line", [](ServiceConfig& c) { c.from_command_line = true; }},
  };
  for (const auto& [field, mutate] : mutations) {
    ServiceConfig changed = Base("web");
    mutate(changed);
    EXPECT_FALSE(SameService(Base("web"), changed)) << field;
    ConfigDiff d = DiffConfigs(Of({Base("web")}), Of({changed}));
    EXPECT_EQ(std::vector<std::string>{"web"}, d.changed) << field;
    EXPECT_TRUE(d.removed.empty() && d.added.empty() && !d.log_changed) << field;
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
  ConfigDiff d = DiffConfigs(Of({Base("a"), Base("b"), Base("c")}),
                             Of({off, Base("c"), Base("d")}));
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
