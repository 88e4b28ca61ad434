// The global file ([log], sinks, control) and the shipped examples: every key read, every error named.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "config_load_fixture.hpp"
#include "steward/config/check.hpp"
#include "steward/config/config.hpp"
#include "steward/config/graph.hpp"

namespace steward {
namespace {

using testing_config::ConfigLoad;
using testing_config::Errors;

TEST_F(ConfigLoad, EveryGlobalKeyIsRead) {
  Global(R"(
shutdown_timeout = "20s"
grace = 3
kill_mode = "process"
control_group = "docker"
config_volume = "/config"
config_volume_watch = false
config_volume_settle = "250ms"

[log]
console = "json"
console_overflow = "drop-oldest"
max_line = "32KiB"
partial_flush = "500ms"
ring = "64KiB"
syslog_socket = ""

[[log.sink]]
name = "central"
type = "syslog"
url = "tcp://logs.internal:6514"
framing = "lf"
format = "rfc3164"
facility = "local3"
hostname = "web-1"
services = ["web", "api-*"]
buffer = "1MiB"
overflow = "block"

[[log.sink]]
name = "files"
type = "file"
path = "/var/log/steward/{service}.log"
rotate_size = "1MiB"
keep = 2

[[log.sink]]
name = "vector"
type = "json"
url = "tcp://127.0.0.1:9000"

[[log.sink]]
name = "local"
type = "syslog"
url = "unix:///dev/log"
facility = 1
)");
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  const GlobalConfig& g = config_.global;
  EXPECT_EQ(G(), g.path);
  EXPECT_EQ(Duration(20000), g.shutdown_timeout);
  EXPECT_EQ(Duration(3000), g.grace);
  EXPECT_EQ(KillMode::kProcess, g.kill_mode);
  EXPECT_EQ("docker", g.control_group);
  EXPECT_EQ(gid_t(999), g.control_gid);
  EXPECT_EQ("/config", g.config_volume);
  EXPECT_FALSE(g.config_volume_watch);
  EXPECT_EQ(Duration(250), g.config_volume_settle);
  EXPECT_EQ(LogConfig::Console::kJson, g.log.console);
  EXPECT_TRUE(g.log.console_drop_oldest);
  EXPECT_EQ(32u << 10, g.log.max_line);
  EXPECT_EQ(Duration(500), g.log.partial_flush);
  EXPECT_EQ(64u << 10, g.log.ring);
  EXPECT_EQ("", g.log.syslog_socket);
  ASSERT_EQ(4u, g.log.sinks.size());
  const SinkConfig& c = g.log.sinks[0];
  EXPECT_EQ("central", c.name);
  EXPECT_EQ(SinkConfig::Type::kSyslog, c.type);
  EXPECT_EQ("tcp://logs.internal:6514", c.url);
  EXPECT_FALSE(c.octet_counting);
  EXPECT_TRUE(c.rfc3164);
  EXPECT_EQ(19, c.facility);
  EXPECT_EQ("web-1", c.hostname);
  EXPECT_EQ((std::vector<std::string>{"web", "api-*"}), c.services);
  EXPECT_EQ(1u << 20, c.buffer);
  EXPECT_TRUE(c.overflow_block);
  const SinkConfig& f = g.log.sinks[1];
  EXPECT_EQ(SinkConfig::Type::kFile, f.type);
  EXPECT_EQ("/var/log/steward/{service}.log", f.path);
  EXPECT_EQ(1u << 20, f.rotate_size);
  EXPECT_EQ(2, f.keep);
  EXPECT_EQ(16u << 20, f.buffer);  // a file sink's own default: its backlog is memory
  EXPECT_FALSE(f.overflow_block);
  const SinkConfig& v = g.log.sinks[2];
  EXPECT_EQ(SinkConfig::Type::kJson, v.type);
  EXPECT_TRUE(v.octet_counting);  // defaults
  EXPECT_EQ(3, v.facility);
  EXPECT_EQ(std::vector<std::string>{"*"}, v.services);
  EXPECT_EQ(64u << 20, v.buffer);
  EXPECT_FALSE(v.overflow_block);
  EXPECT_EQ(1, g.log.sinks[3].facility);
}

TEST_F(ConfigLoad, GlobalDefaultsWhenTheFileIsEmpty) {
  Global("");
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  const GlobalConfig& g = config_.global;
  EXPECT_FALSE(g.shutdown_timeout.has_value());
  EXPECT_FALSE(g.grace.has_value());
  EXPECT_FALSE(g.kill_mode.has_value());
  EXPECT_FALSE(g.control_gid.has_value());
  EXPECT_TRUE(g.config_volume_watch);
  EXPECT_EQ(Duration(1000), g.config_volume_settle);
  EXPECT_EQ(LogConfig::Console::kPrefixed, g.log.console);
  EXPECT_FALSE(g.log.console_drop_oldest);
  EXPECT_EQ(16u << 10, g.log.max_line);
  EXPECT_EQ(Duration(1000), g.log.partial_flush);
  EXPECT_EQ(1u << 20, g.log.ring);
  EXPECT_EQ("/dev/log", g.log.syslog_socket);
  EXPECT_TRUE(g.log.sinks.empty());
}

TEST_F(ConfigLoad, SinkErrors) {
  Global(R"([log]
console = "loud"

[[log.sink]]
type = "syslog"
url = "http://x"

[[log.sink]]
name = "a"
type = "json"
url = "udp://127.0.0.1:9000"

[[log.sink]]
name = "a"
type = "syslog"
url = "udp://h:514"
framing = "lf"
path = "/x"
facility = "mars"

[[log.sink]]
name = "f"
type = "file"
url = "tcp://h:1"

[[log.sink]]
name = "g"
url = "tcp://h:99999"
)");
  std::string g = G();
  EXPECT_FALSE(Load());
  EXPECT_EQ((Errors{
                g + ":2:11: 'log.console' must be \"prefixed\", \"raw\", \"json\" or \"off\", not \"loud\"",
                g + ":4:1: [[log.sink]] needs a 'name'",
                g + ":6:7: 'log.sink.url' must be tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or "
                    "unix:///PATH, not \"http://x\"",
                g + ":11:7: a json sink needs a tcp:// or tls:// url",
                g + ":14:8: duplicate sink name 'a'",
                g + ":17:11: 'framing' applies only to tcp:// urls",
                g + ":18:1: 'path' does not apply to a syslog sink",
                g + ":19:12: unknown facility 'mars' (use kern, user, mail, daemon, auth, syslog, lpr, news, "
                    "uucp, cron, authpriv, ftp, local0 to local7 or 0 to 23)",
                g + ":21:1: a file sink needs a 'path'",
                g + ":24:1: 'url' does not apply to a file sink",
                g + ":26:1: [[log.sink]] needs a 'type' (\"syslog\", \"relp\", \"json\" or \"file\")",
                g + ":28:7: 'log.sink.url' must be tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or "
                    "unix:///PATH, not \"tcp://h:99999\"",
            }),
            errors_);
}

// A file sink takes `buffer` (its backlog while a file is in trouble) and
// `overflow`; a bad value is an error at its position.
TEST_F(ConfigLoad, FileSinkBufferAndOverflow) {
  Global(R"([[log.sink]]
name = "files"
type = "file"
path = "/var/log/steward/{service}.log"
buffer = "1MiB"
overflow = "block"

[[log.sink]]
name = "bad"
type = "file"
path = "/var/log/bad.log"
buffer = "0"
overflow = "drop-newest"
)");
  std::string g = G();
  EXPECT_FALSE(Load());
  EXPECT_EQ((Errors{
                g + ":12:10: 'log.sink.buffer' must be more than 0",
                g + ":13:12: 'log.sink.overflow' must be \"drop-oldest\" or \"block\", not \"drop-newest\"",
            }),
            errors_);
  Global(R"([[log.sink]]
name = "files"
type = "file"
path = "/var/log/steward/{service}.log"
buffer = "1MiB"
overflow = "block"
)");
  errors_.clear();
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  ASSERT_EQ(1u, config_.global.log.sinks.size());
  EXPECT_EQ(1u << 20, config_.global.log.sinks[0].buffer);
  EXPECT_TRUE(config_.global.log.sinks[0].overflow_block);
}

TEST_F(ConfigLoad, RelpAndTlsSinks) {
  std::string ca = dir_ + "/ca.pem", cert = dir_ + "/client.pem", key = dir_ + "/client.key";
  for (const std::string& f : {ca, cert, key}) WriteFile(f, "x");
  Global(fmt::format(R"([[log.sink]]
name = "central"
type = "relp"
url = "tls://logs.internal:2514"
window = 32
tls_ca = "{}"
tls_cert = "{}"
tls_key = "{}"
tls_server_name = "logs.example"
format = "rfc3164"

[[log.sink]]
name = "plain"
type = "relp"
url = "tcp://10.0.0.1:2514"

[[log.sink]]
name = "insecure"
type = "json"
url = "tls://127.0.0.1:9000"
tls_verify = false
)",
                     ca, cert, key));
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  const std::vector<SinkConfig>& s = config_.global.log.sinks;
  ASSERT_EQ(3u, s.size());
  EXPECT_EQ(SinkConfig::Type::kRelp, s[0].type);
  EXPECT_EQ(32, s[0].window);
  EXPECT_EQ(ca, s[0].tls_ca);
  EXPECT_EQ(cert, s[0].tls_cert);
  EXPECT_EQ(key, s[0].tls_key);
  EXPECT_EQ("logs.example", s[0].tls_server_name);
  EXPECT_TRUE(s[0].tls_verify);
  EXPECT_TRUE(s[0].rfc3164);
  EXPECT_EQ(128, s[1].window);  // the default
  EXPECT_EQ("", s[1].tls_ca);   // the system bundle
  EXPECT_FALSE(s[2].tls_verify);
}

TEST_F(ConfigLoad, RelpAndTlsErrors) {
  std::string cert = dir_ + "/client.pem";
  WriteFile(cert, "x");
  Global(fmt::format(R"([[log.sink]]
name = "a"
type = "relp"
url = "udp://h:514"
window = 0
framing = "lf"

[[log.sink]]
name = "b"
type = "syslog"
url = "tcp://h:514"
tls_ca = "{0}"
window = 5

[[log.sink]]
name = "c"
type = "syslog"
url = "tls://h:6514"
tls_ca = "/nonexistent/ca.pem"
tls_cert = "{0}"
tls_server_name = ""
tls_verify = "no"

[[log.sink]]
name = "d"
type = "file"
path = "/x"
tls_ca = "relative.pem"
)",
                     cert));
  std::string g = G();
  EXPECT_FALSE(Load());
  EXPECT_EQ((Errors{
                g + ":4:7: a relp sink needs a tcp:// or tls:// url",
                g + ":5:10: 'log.sink.window' must be between 1 and 65536, not 0",
                g + ":6:1: 'framing' does not apply to a relp sink",
                g + ":12:1: 'tls_ca' applies only to tls:// urls",
                g + ":13:1: 'window' does not apply to a syslog sink",
                g + ":19:10: 'log.sink.tls_ca': cannot read /nonexistent/ca.pem: No such file or directory",
                g + ":20:12: 'tls_cert' needs 'tls_key' (the client certificate's private key)",
                g + ":21:19: 'log.sink.tls_server_name' must not be empty",
                g + ":22:14: 'log.sink.tls_verify' must be true or false, not a string",
                g + ":28:1: 'tls_ca' does not apply to a file sink",
                g + ":28:10: 'log.sink.tls_ca' must be an absolute path, not \"relative.pem\"",
            }),
            errors_);
}

TEST_F(ConfigLoad, ServiceLogSinksMustExist) {
  Global("[[log.sink]]\nname = 'central'\ntype = 'syslog'\nurl = 'udp://h:514'\n");
  Service("db", "command = 'x'\n[log]\nsinks = ['central']");
  EXPECT_EQ(Errors{P("web") + ":3:21: unknown sink 'centrl' in log.sinks (did you mean 'central'?)"},
            ErrorsOf("command = 'x'\n[log]\nsinks = ['central', 'centrl']\n"));
  EXPECT_EQ(std::vector<std::string>{"central"}, *config_.Find("db")->log.sinks);
}

// ---- the shipped examples ---------------------------------------------------

// Every examples/*/services directory must load without a single error: the
// examples are what users copy.
TEST(ConfigExamples, EveryExampleLoads) {
  std::string examples = std::string(STEWARD_SOURCE_DIR) + "/examples";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(examples.c_str()), closedir);
  if (!dir) GTEST_SKIP() << "no examples directory";
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  int loaded = 0;
  while (const dirent* e = readdir(dir.get())) {
    std::string base = examples + "/" + e->d_name;
    struct stat st;
    if (e->d_name[0] == '.' || stat((base + "/services").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    LoadRequest req;
    req.services_dir = base + "/services";
    if (stat((base + "/steward.toml").c_str(), &st) == 0) req.config_file = base + "/steward.toml";
    req.env = env;
    Config config;
    Errors errors;
    EXPECT_TRUE(LoadConfig(req, &config, &errors)) << base;
    EXPECT_EQ(Errors{}, errors) << base;
    EXPECT_TRUE(config.HasServices()) << base;
    ++loaded;
  }
  RecordProperty("examples", loaded);
}

}  // namespace
}  // namespace steward
