#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <string>

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

// Issue 19.2: the drain's and the handover's rule. A collector that refuses
// puts the sink in an outage: what it holds is safe in its spool, so it is
// nothing to wait for, though not idle.
TEST(NetSinkOutage, ARefusedCollectorIsAnOutageNotWaitedFor) {
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa = {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ASSERT_EQ(0, bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  ASSERT_EQ(0, getsockname(probe, reinterpret_cast<sockaddr*>(&sa), &len));
  close(probe);  // bound, never listened: connecting is refused
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  SinkConfig c;
  c.name = "central";
  c.type = SinkConfig::Type::kSyslog;
  c.url = "tcp://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  Endpoint ep;
  std::string err;
  ASSERT_TRUE(ParseEndpoint(c.url, &ep, &err)) << err;
  {
    NetSink sink(loop, 0, c, ep, "box", [](Sink*) {});
    ASSERT_TRUE(sink.OpenSpool(UniqueFd(memfd_create("spool", MFD_CLOEXEC)), &err)) << err;
    EXPECT_FALSE(sink.InOutage());  // not tried yet
    sink.Start();
    for (int i = 0; i < 200 && sink.problem().empty(); ++i) ev_run(loop, EVRUN_ONCE);
    EXPECT_TRUE(sink.InOutage()) << sink.problem();
    Record r;
    r.service = "web";
    r.line = "kept";
    sink.Add(r, "web");
    EXPECT_TRUE(sink.Flush());  // safe in the spool
    EXPECT_FALSE(sink.Idle());
    EXPECT_TRUE(sink.NothingToWaitFor());
    EXPECT_EQ(1u, sink.Undelivered());
  }
  ev_loop_destroy(loop);
}

}  // namespace
}  // namespace steward::log
