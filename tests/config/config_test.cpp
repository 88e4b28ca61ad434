// LoadConfig: the directory and its files, every service key and its default
// ([limits], [ready], [healthcheck]: config_limits_checks_test.cpp).
#include <algorithm>

#include <gtest/gtest.h>

#include <fstream>

#include "config_load_fixture.hpp"
#include "steward/config/config.hpp"
#include "steward/config/graph.hpp"

namespace steward {
namespace {

using testing_config::ConfigLoad;
using testing_config::Errors;

TEST_F(ConfigLoad, MissingServicesDirectoryIsNotAnError) {
  req_.services_dir = dir_ + "/nope";
  ASSERT_TRUE(Load());
  EXPECT_FALSE(config_.services_dir_exists);
  EXPECT_EQ(dir_ + "/nope", config_.services_dir);  // the directory looked for, for messages
  EXPECT_TRUE(config_.services.empty());
  EXPECT_FALSE(config_.HasServices());
}

TEST_F(ConfigLoad, OnlyValidNamesEndingInTomlAreServicesSortedByName) {
  Service("web", "command = 'nginx'");
  Service("app-1.x_y", "command = 'app'");
  Service("0db", "command = 'db'");
  Service("Upper", "command = 'x'");
  Service(".hidden", "command = 'x'");
  Service("_under", "command = 'x'");
  WriteFile(dir_ + "/services/notes.txt", "not toml");
  WriteFile(dir_ + "/services/web.toml.bak", "not toml");
  mkdir((dir_ + "/services/dir.toml").c_str(), 0755);
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  ASSERT_EQ(3u, config_.services.size());
  EXPECT_EQ("0db", config_.services[0].name);
  EXPECT_EQ("app-1.x_y", config_.services[1].name);
  EXPECT_EQ("web", config_.services[2].name);
  EXPECT_EQ(P("web"), config_.services[2].path);
  EXPECT_TRUE(config_.services_dir_exists);
  EXPECT_EQ(req_.services_dir, config_.services_dir);
  EXPECT_TRUE(config_.HasServices());
  EXPECT_EQ(nullptr, config_.Find("Upper"));
}

TEST_F(ConfigLoad, ServiceFilesWithNamesBreakingTheRuleAreNamedInAWarning) {
  Service("web", "command = 'nginx'");
  Service("Web2", "command = 'x'");
  Service("caf\xc3\xa9", "command = 'x'");
  Service(".hidden", "command = 'x'");
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  ASSERT_EQ(1u, config_.services.size());
  std::vector<std::string> expected = {
      P("Web2") + ": skipped: a service name must match [a-z0-9][a-z0-9_.-]* (lower-case ASCII "
                  "letters, digits, '_', '.', '-') (rename it to web2.toml)",
      P("caf\xc3\xa9") + ": skipped: a service name must match [a-z0-9][a-z0-9_.-]* (lower-case "
                         "ASCII letters, digits, '_', '.', '-')"};
  std::vector<std::string> got = config_.warnings;
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(expected, got);
}

TEST_F(ConfigLoad, Rfc3164SinksUnderANonUtcZoneAreNamedInOneWarning) {
  Global("[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\nurl = \"tcp://logs:514\"\n"
         "format = \"rfc3164\"\n\n[[log.sink]]\nname = \"new\"\ntype = \"syslog\"\n"
         "url = \"tcp://logs:514\"\n");
  req_.utc_offset = 3600;
  req_.zone = "TZ=Europe/Berlin";
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  EXPECT_EQ(std::vector<std::string>{
                "log sink 'central': format = \"rfc3164\" stamps local time without a zone, and "
                "the local zone (TZ=Europe/Berlin) is UTC+01:00: a collector in another zone files "
                "these lines hours off; use format = \"rfc5424\" (UTC, with the zone), or run "
                "steward with TZ=UTC"},
            config_.warnings);
  req_.utc_offset = -(5 * 3600 + 30 * 60);
  req_.zone = "/etc/localtime";
  ASSERT_TRUE(Load());
  ASSERT_EQ(1u, config_.warnings.size());
  EXPECT_NE(std::string::npos, config_.warnings[0].find("(/etc/localtime) is UTC-05:30:"));
  req_.utc_offset = 0;
  ASSERT_TRUE(Load());
  EXPECT_TRUE(config_.warnings.empty());
}

TEST_F(ConfigLoad, SymlinkedServiceFilesAreFollowed) {
  // Kubernetes mounts ConfigMaps as symlinks into a hidden directory.
  mkdir((dir_ + "/services/..data").c_str(), 0755);
  WriteFile(dir_ + "/services/..data/web.toml", "command = 'nginx'");
  ASSERT_EQ(0, symlink("..data/web.toml", P("web").c_str()));
  EXPECT_EQ("nginx", Loaded("web").command.argv[2]);
}

TEST_F(ConfigLoad, FileWritableByOthersIsRefused) {
  WriteFile(P("web"), "command = 'nginx'", 0666);
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("web") + ":1:1: refusing a file writable by others (mode 0666): anyone in the "
                   "container could change what steward runs (chmod o-w " + P("web") + ")"},
            errors_);
}

TEST_F(ConfigLoad, GlobalFileWritableByOthersIsRefused) {
  req_.config_file = G();
  WriteFile(G(), "grace = '1s'", 0602);
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{G() + ":1:1: refusing a file writable by others (mode 0602): anyone in the "
                   "container could change what steward runs (chmod o-w " + G() + ")"},
            errors_);
}

TEST_F(ConfigLoad, MissingGlobalFileIsAnError) {
  req_.config_file = dir_ + "/nope.toml";
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{"open(" + dir_ + "/nope.toml): No such file or directory"}, errors_);
}

TEST_F(ConfigLoad, TomlSyntaxErrorHasItsPosition) {
  EXPECT_EQ(Errors{P("web") + ":2:8: Error while parsing key-value pair: expected value, saw '\\n'"},
            ErrorsOf("command = 'x'\nuser = \n"));
}

// ---- defaults and every key -----------------------------------------------

TEST_F(ConfigLoad, EveryDefault) {
  Service("web", "command = ['/usr/sbin/nginx', '-g', 'daemon off;']");
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"/usr/sbin/nginx", "-g", "daemon off;"}), s.command.argv);
  EXPECT_FALSE(s.command.shell);
  EXPECT_EQ(ServiceType::kLongrun, s.type);
  EXPECT_TRUE(s.depends_on.empty());
  EXPECT_FALSE(s.main);
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(RestartPolicy::kOnFailure, s.restart);
  EXPECT_EQ(Duration(100), s.restart_delay);
  EXPECT_EQ(Duration(30000), s.restart_delay_max);
  EXPECT_EQ(0, s.max_restarts);
  EXPECT_EQ(OnFailure::kIgnore, s.on_failure);
  EXPECT_EQ(SIGTERM, s.stop_signal);
  EXPECT_EQ(Duration(5000), s.stop_grace_period);
  EXPECT_TRUE(s.stop_command.empty());
  EXPECT_FALSE(s.kill_mode.has_value());
  EXPECT_FALSE(s.identity.set);
  EXPECT_EQ("/", s.working_dir);
  EXPECT_FALSE(s.umask.has_value());
  EXPECT_TRUE(s.environment.empty());
  EXPECT_TRUE(s.env_files.empty());
  EXPECT_FALSE(s.clear_env);
  EXPECT_FALSE(s.no_new_privileges);
  EXPECT_TRUE(s.limits.empty());
  EXPECT_EQ(ReadyCheck::Kind::kNone, s.ready.kind);
  EXPECT_EQ(Duration(60000), s.ready.timeout);
  EXPECT_EQ(Duration(100), s.ready.interval);
  EXPECT_FALSE(s.healthcheck.enabled);
  EXPECT_TRUE(s.log.console);
  EXPECT_FALSE(s.log.sinks.has_value());
  EXPECT_EQ("", s.log.prefix);
  EXPECT_FALSE(s.from_command_line);
  EXPECT_EQ("", config_.global.path);
  EXPECT_EQ(LogConfig::Console::kPrefixed, config_.global.log.console);
  EXPECT_EQ("/dev/log", config_.global.log.syslog_socket);
}

TEST_F(ConfigLoad, OneshotDefaultsToRestartNo) {
  Service("migrate", "command = 'migrate up'\ntype = 'oneshot'");
  EXPECT_EQ(RestartPolicy::kNo, Loaded("migrate").restart);
  Service("migrate", "command = 'migrate up'\ntype = 'oneshot'\nrestart = 'on-failure'");
  EXPECT_EQ(RestartPolicy::kOnFailure, Loaded("migrate").restart);
}

TEST_F(ConfigLoad, StringCommandRunsUnderShell) {
  Service("web", "command = 'exec php-fpm -F'");
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"/bin/sh", "-c", "exec php-fpm -F"}), s.command.argv);
  EXPECT_TRUE(s.command.shell);
}

TEST_F(ConfigLoad, EveryServiceKeyIsRead) {
  Service("db", "command = 'db'");
  Service("web", R"(
command = ["nginx"]
type = "longrun"
depends_on = ["db", "db"]
main = true
enabled = true
restart = "always"
restart_delay = "250ms"
restart_delay_max = 60
max_restarts = 5
on_failure = "shutdown"
stop_signal = "QUIT"
stop_grace_period = "1.5s"
stop_command = ["nginx", "-s", "quit"]
kill_mode = "process"
user = "www-data"
working_dir = "/srv/www"
umask = "027"
environment = { ZED = "last", APP_ENV = "prod", PORT = 8080, DEBUG = false, RATIO = 0.5 }
env_file = ["/etc/web.env", "local.env"]
clear_env = true
no_new_privileges = true
limits = { nofile = 65536 }
[log]
console = false
prefix = "api"
)");
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ(std::vector<std::string>{"db"}, s.depends_on);
  EXPECT_TRUE(s.main);
  EXPECT_EQ(RestartPolicy::kAlways, s.restart);
  EXPECT_EQ(Duration(250), s.restart_delay);
  EXPECT_EQ(Duration(60000), s.restart_delay_max);
  EXPECT_EQ(5, s.max_restarts);
  EXPECT_EQ(OnFailure::kShutdown, s.on_failure);
  EXPECT_EQ(SIGQUIT, s.stop_signal);
  EXPECT_EQ(Duration(1500), s.stop_grace_period);
  EXPECT_EQ((std::vector<std::string>{"nginx", "-s", "quit"}), s.stop_command.argv);
  EXPECT_EQ(KillMode::kProcess, s.kill_mode);
  EXPECT_TRUE(s.identity.set);
  EXPECT_EQ(33u, s.identity.uid);
  EXPECT_EQ("/var/www", s.identity.home);
  EXPECT_EQ("/srv/www", s.working_dir);
  EXPECT_EQ(mode_t(027), s.umask);
  // In file order, numbers and booleans as docker-compose writes them.
  EXPECT_EQ((std::vector<std::pair<std::string, std::string>>{
                {"ZED", "last"}, {"APP_ENV", "prod"}, {"PORT", "8080"}, {"DEBUG", "false"}, {"RATIO", "0.5"}}),
            s.environment);
  EXPECT_EQ((std::vector<std::string>{"/etc/web.env", dir_ + "/services/local.env"}), s.env_files);
  EXPECT_TRUE(s.clear_env);
  EXPECT_TRUE(s.no_new_privileges);
  ASSERT_EQ(1u, s.limits.size());
  EXPECT_FALSE(s.log.console);
  EXPECT_EQ("api", s.log.prefix);
}

TEST_F(ConfigLoad, StopSignalByNameNumberOrWithoutSig) {
  Service("web", "command = 'x'\nstop_signal = 'SIGHUP'");
  EXPECT_EQ(SIGHUP, Loaded("web").stop_signal);
  Service("web", "command = 'x'\nstop_signal = 'usr1'");
  EXPECT_EQ(SIGUSR1, Loaded("web").stop_signal);
  Service("web", "command = 'x'\nstop_signal = 2");
  EXPECT_EQ(SIGINT, Loaded("web").stop_signal);
}

TEST_F(ConfigLoad, DurationsAndSizesMayBeBareIntegers) {
  Service("web", "command = 'x'\nstop_grace_period = 10\n[ready]\nfile = '/run/ok'\ntimeout = 2");
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ(Duration(10000), s.stop_grace_period);
  EXPECT_EQ(Duration(2000), s.ready.timeout);
  Global("[log]\nmax_line = 4096\npartial_flush = 3");
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  EXPECT_EQ(4096u, config_.global.log.max_line);
  EXPECT_EQ(Duration(3000), config_.global.log.partial_flush);
}

TEST_F(ConfigLoad, EnvFileMayBeOneString) {
  Service("web", "command = 'x'\nenv_file = '/etc/one.env'");
  EXPECT_EQ(std::vector<std::string>{"/etc/one.env"}, Loaded("web").env_files);
}

}  // namespace
}  // namespace steward
