#include <stdlib.h>
#include <time.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

#include "steward/log/sinks/console_sink.hpp"
#include "steward/log/sinks/file_sink.hpp"
#include "steward/log/sinks/net_sink.hpp"

namespace steward::log {
namespace {

TEST(FileSink, ExpandsTheServiceNameSafely) {
  EXPECT_EQ("/var/log/web.log", FileSink::Expand("/var/log/{service}.log", "web"));
  EXPECT_EQ("/var/log/web/web.log", FileSink::Expand("/var/log/{service}/{service}.log", "web"));
  EXPECT_EQ("/var/log/.._.._etc_passwd.log", FileSink::Expand("/var/log/{service}.log", "../../etc/passwd"));
  EXPECT_EQ("/var/log/_...log", FileSink::Expand("/var/log/{service}.log", ".."));
  EXPECT_EQ("/var/log/all.log", FileSink::Expand("/var/log/all.log", "web"));
}

class NetSinkFormat : public ::testing::Test {
 protected:
  void SetUp() override { loop_ = ev_loop_new(EVFLAG_AUTO); }
  void TearDown() override { ev_loop_destroy(loop_); }
  std::string Format(const SinkConfig& cfg) {
    Endpoint ep;
    std::string err;
    EXPECT_TRUE(ParseEndpoint(cfg.url, &ep, &err)) << err;
    NetSink sink(loop_, 0, cfg, ep, "box", [](Sink*) {});
    Record r;
    r.time_us = 1795638662123456;
    r.service = "web";
    r.stream = Stream::kStdout;
    r.pid = 42;
    r.line = "hello";
    std::string out;
    sink.Format(r, &out);
    return out;
  }
  struct ev_loop* loop_;
};

TEST_F(NetSinkFormat, SyslogTcpOctetCounted) {
  SinkConfig c;
  c.name = "central";
  c.type = SinkConfig::Type::kSyslog;
  c.url = "tcp://127.0.0.1:514";
  EXPECT_EQ("59 <30>1 2026-11-25T20:31:02.123456Z box web 42 stdout - hello", Format(c));
}

TEST_F(NetSinkFormat, SyslogTcpLf) {
  SinkConfig c;
  c.type = SinkConfig::Type::kSyslog;
  c.url = "tcp://127.0.0.1:514";
  c.octet_counting = false;
  c.facility = 16;
  EXPECT_EQ("<134>1 2026-11-25T20:31:02.123456Z box web 42 stdout - hello\n", Format(c));
}

TEST_F(NetSinkFormat, SyslogUdpIsOneBareDatagram) {
  SinkConfig c;
  c.type = SinkConfig::Type::kSyslog;
  c.url = "udp://127.0.0.1:514";
  EXPECT_EQ("<30>1 2026-11-25T20:31:02.123456Z box web 42 stdout - hello", Format(c));
}

TEST_F(NetSinkFormat, JsonOverTcpIsNewlineDelimited) {
  SinkConfig c;
  c.type = SinkConfig::Type::kJson;
  c.url = "tcp://127.0.0.1:9000";
  EXPECT_EQ(
      "{\"time\":\"2026-11-25T20:31:02.123456Z\",\"service\":\"web\",\"stream\":\"stdout\",\"msg\":\"hello\"}\n",
      Format(c));
}

// steward's own lines go to stderr in their place among the services'
// lines on stdout: with both on one file, the file shows the order.
TEST(ConsoleSink, OwnLinesGoToStderrInTheirPlace) {
  char path[] = "/tmp/steward-console-XXXXXX";
  int file = mkstemp(path);
  ASSERT_GE(file, 0);
  unlink(path);
  int saved = dup(STDERR_FILENO);
  ASSERT_EQ(STDERR_FILENO, dup2(file, STDERR_FILENO));
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  LogConfig cfg;
  cfg.console = LogConfig::Console::kPrefixed;
  {
    ConsoleSink console(loop, 0, cfg, file, [](Sink*) {});
    console.SetWidth(3);
    Record r;
    r.service = "web";
    for (const char* line : {"one", "last words"}) {
      r.line = line;
      console.Add(r, "web");
    }
    Record own;
    own.service = "steward";
    own.own = true;
    own.line = "steward: warning: web: exited with status 3; restarting";
    console.Add(own, "steward");
    r.line = "again";
    console.Add(r, "web");
    EXPECT_TRUE(console.Flush());
    EXPECT_TRUE(console.Idle());
  }
  dup2(saved, STDERR_FILENO);
  close(saved);
  ev_loop_destroy(loop);
  std::string got(4096, '\0');
  got.resize(size_t(std::max<ssize_t>(0, pread(file, got.data(), got.size(), 0))));
  close(file);
  EXPECT_EQ("web | one\nweb | last words\n"
            "steward: warning: web: exited with status 3; restarting\n"
            "web | again\n",
            got);
}

}  // namespace
}  // namespace steward::log
