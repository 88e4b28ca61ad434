// LoadConfig: [limits], [ready] and [healthcheck] of a service file.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include "config_load_fixture.hpp"
#include "steward/config/config.hpp"

namespace steward {
namespace {

using testing_config::ConfigLoad;
using testing_config::Errors;

// ---- limits ---------------------------------------------------------------

TEST_F(ConfigLoad, LimitsIntegerUnlimitedSizeAndSoftHard) {
  Service("web", R"(
command = "x"
[limits]
nofile = 65536
core = "unlimited"
memlock = "64MiB"
nproc = { soft = 1024, hard = 4096 }
stack = { soft = "8MiB" }
)");
  const ServiceConfig& s = Loaded("web");
  ASSERT_EQ(5u, s.limits.size());
  auto expect = [&](size_t i, int res, uint64_t soft, uint64_t hard) {
    EXPECT_EQ(res, s.limits[i].resource) << i;
    EXPECT_EQ(soft, s.limits[i].soft) << i;
    EXPECT_EQ(hard, s.limits[i].hard) << i;
  };
  expect(0, RLIMIT_NOFILE, 65536, 65536);
  expect(1, RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY);
  expect(2, RLIMIT_MEMLOCK, 64 << 20, 64 << 20);
  expect(3, RLIMIT_NPROC, 1024, 4096);
  expect(4, RLIMIT_STACK, 8 << 20, 8 << 20);
}

TEST_F(ConfigLoad, LimitErrors) {
  std::string p = P("web");
  EXPECT_EQ((Errors{
                p + ":3:1: unknown limit 'nofiles' (did you mean 'nofile'?)",
                p + ":4:9: 'limits.nproc' must be an integer or \"unlimited\", not \"many\"",
                p + ":5:7: 'limits.cpu': soft limit 20 is above hard limit 10",
                p + ":6:8: 'limits.core' must be an integer, a size or \"unlimited\", not a negative number",
                p + ":7:11: unknown key 'hrad' in [limits.fsize] (did you mean 'hard'?)",
            }),
            ErrorsOf("command = 'x'\n[limits]\nnofiles = 1\nnproc = 'many'\ncpu = { soft = 20, hard = 10 }\n"
                     "core = -1\nfsize = { hrad = 1 }\n"));
}

// ---- [ready] and [healthcheck] --------------------------------------------

TEST_F(ConfigLoad, ReadyKinds) {
  Service("a", "command = 'x'\n[ready]\nnotify = 'systemd'");
  Service("b", "command = 'x'\n[ready]\nnotify_fd = 3\ntimeout = '30s'\ninterval = '1s'");
  Service("c", "command = 'x'\n[ready]\ntcp = '127.0.0.1:80'");
  Service("d", "command = 'x'\nready = { command = ['pg_isready'] }");
  Service("e", "command = 'x'\nready = { command = 'test -e /x' }");
  Service("f", "command = 'x'\nready = { file = '/run/app.ready' }");
  Service("g", "command = 'x'\nready = { tcp = '[::1]:5432' }");
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  EXPECT_EQ(ReadyCheck::Kind::kNotifySystemd, config_.Find("a")->ready.kind);
  const ReadyCheck& b = config_.Find("b")->ready;
  EXPECT_EQ(ReadyCheck::Kind::kNotifyFd, b.kind);
  EXPECT_EQ(3, b.notify_fd);
  EXPECT_EQ(Duration(30000), b.timeout);
  EXPECT_EQ(Duration(1000), b.interval);
  const ReadyCheck& c = config_.Find("c")->ready;
  EXPECT_EQ(ReadyCheck::Kind::kTcp, c.kind);
  EXPECT_EQ("127.0.0.1", c.host);
  EXPECT_EQ(80, c.port);
  EXPECT_EQ(ReadyCheck::Kind::kCommand, config_.Find("d")->ready.kind);
  EXPECT_EQ(std::vector<std::string>{"pg_isready"}, config_.Find("d")->ready.command.argv);
  EXPECT_TRUE(config_.Find("e")->ready.command.shell);
  EXPECT_EQ("/run/app.ready", config_.Find("f")->ready.file);
  EXPECT_EQ("::1", config_.Find("g")->ready.host);
  EXPECT_EQ(5432, config_.Find("g")->ready.port);
}

TEST_F(ConfigLoad, ReadyNeedsExactlyOneKind) {
  EXPECT_EQ(Errors{P("web") + ":2:1: [ready] needs one of notify, notify_fd, tcp, command or file"},
            ErrorsOf("command = 'x'\n[ready]\ntimeout = '5s'\n"));
  EXPECT_EQ(Errors{P("web") + ":4:1: [ready] takes only one of notify, notify_fd, tcp, command or file, "
                              "but has 'tcp' and 'file'"},
            ErrorsOf("command = 'x'\n[ready]\ntcp = 'localhost:80'\nfile = '/x'\n"));
}

TEST_F(ConfigLoad, ReadyValueErrors) {
  std::string p = P("web");
  EXPECT_EQ((Errors{
                p + ":3:10: 'ready.notify' must be \"systemd\", not \"s6\"",
                p + ":4:1: [ready] takes only one of notify, notify_fd, tcp, command or file, but has "
                    "'notify' and 'notify_fd'",
                p + ":4:13: 'ready.notify_fd' must be between 3 and 1023, not 1",
                p + ":5:7: 'ready.tcp' must be \"HOST:PORT\" with a port from 1 to 65535, not \"localhost\"",
                p + ":6:8: 'ready.file' must be an absolute path, not \"ready\"",
                p + ":7:12: 'ready.interval' must be more than 0",
                p + ":8:1: unknown key 'timout' in [ready] (did you mean 'timeout'?)",
            }),
            ErrorsOf("command = 'x'\n[ready]\nnotify = 's6'\nnotify_fd = 1\ntcp = 'localhost'\n"
                     "file = 'ready'\ninterval = '0s'\ntimout = '1s'\n"));
}

TEST_F(ConfigLoad, HealthcheckShapes) {
  Service("a", "command = 'x'\n[healthcheck]\ntest = ['CMD', 'curl', '-f', 'http://localhost/']\n"
               "interval = '10s'\ntimeout = '2s'\nretries = 5\nstart_period = '1m'\non_unhealthy = 'restart'");
  Service("b", "command = 'x'\nhealthcheck = { test = ['CMD-SHELL', 'curl -f localhost || exit 1'] }");
  Service("c", "command = 'x'\nhealthcheck = { test = 'pgrep app' }");
  Service("d", "command = 'x'\nhealthcheck = { test = ['NONE'] }");
  Service("e", "command = 'x'\nhealthcheck = { test = 'true', disable = true }");
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  const HealthCheck& a = config_.Find("a")->healthcheck;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ((std::vector<std::string>{"curl", "-f", "http://localhost/"}), a.test.argv);
  EXPECT_FALSE(a.test.shell);
  EXPECT_EQ(Duration(10000), a.interval);
  EXPECT_EQ(Duration(2000), a.timeout);
  EXPECT_EQ(5, a.retries);
  EXPECT_EQ(Duration(60000), a.start_period);
  EXPECT_TRUE(a.restart_on_unhealthy);
  const HealthCheck& b = config_.Find("b")->healthcheck;
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ((std::vector<std::string>{"/bin/sh", "-c", "curl -f localhost || exit 1"}), b.test.argv);
  EXPECT_TRUE(b.test.shell);
  EXPECT_EQ((std::vector<std::string>{"/bin/sh", "-c", "pgrep app"}), config_.Find("c")->healthcheck.test.argv);
  EXPECT_FALSE(config_.Find("d")->healthcheck.enabled);
  EXPECT_FALSE(config_.Find("e")->healthcheck.enabled);
  // The defaults, docker-compose's.
  EXPECT_EQ(Duration(30000), b.interval);
  EXPECT_EQ(Duration(30000), b.timeout);
  EXPECT_EQ(3, b.retries);
  EXPECT_EQ(Duration(0), b.start_period);
  EXPECT_FALSE(b.restart_on_unhealthy);
}

TEST_F(ConfigLoad, HealthcheckErrors) {
  std::string p = P("web");
  EXPECT_EQ((Errors{p + ":2:1: [healthcheck] needs 'test' (or disable = true)"}),
            ErrorsOf("command = 'x'\n[healthcheck]\ninterval = '5s'\n"));
  EXPECT_EQ((Errors{
                p + ":3:8: 'healthcheck.test' must be [\"CMD\", program, args...], [\"CMD-SHELL\", \"command\"] "
                    "or [\"NONE\"]",
                p + ":4:11: 'healthcheck.retries' must be 1 or more, not 0",
                p + ":5:16: 'healthcheck.on_unhealthy' must be \"restart\" or \"ignore\", not \"kill\"",
            }),
            ErrorsOf("command = 'x'\n[healthcheck]\ntest = ['curl', 'localhost']\nretries = 0\n"
                     "on_unhealthy = 'kill'\n"));
}

}  // namespace
}  // namespace steward
