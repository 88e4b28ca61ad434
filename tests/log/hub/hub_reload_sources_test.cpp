// LogHub::Reconfigure in-process: rsyslog sinks, /dev/log, ctl logs followers and collectors that are down across a handover.
#include "hub_reload_fixture.hpp"

namespace steward::testing {
namespace {

using namespace loghub;

TEST_F(LogHubReloadTest, RsyslogSinkAddedGetsASuffixAndRemovedAPrefix) {
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  cfg_.sinks = {FileSinkAt("files", dir_ / "all.log")};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  LogConfig with = cfg_;
  with.sinks.push_back(Syslog("tcp"));
  pid_t writer = WriteAndReconfigure(with, dir_ / "all.log");
  int added_at = 0;
  ASSERT_TRUE(driver_.RunUntil([&] {
    std::vector<int> n = Numbers(rsyslog_->ReceivedLines(), "n");
    if (!n.empty()) added_at = n.front();
    return n.size() >= 2000;
  }));
  // Removed again while the lines still flow.
  LogConfig without = cfg_;
  pid_t second = new_forwarder_;
  hub_->Reconfigure(without);
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != second; }));
  EXPECT_EQ(0, driver_.Status(second));
  WaitAll({writer});
  ASSERT_TRUE(Drain());
  ExpectAll(ReadFile(dir_ / "all.log"), "file sink");
  std::vector<int> got = Settled(*rsyslog_, driver_, 2000);
  ASSERT_FALSE(got.empty());
  EXPECT_GT(added_at, 2000);
  EXPECT_LT(got.back(), kLines) << "removed mid-stream";
  EXPECT_EQ("", Span(got, added_at, got.back())) << "none lost, none doubled at rsyslog";
  EXPECT_EQ(std::string::npos, Stderr().find("not delivered")) << Stderr();
}

TEST_F(LogHubReloadTest, CtlLogsHistoryAndFollowersSurvive) {
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "h", 50, 0, 1)});
  ASSERT_TRUE(driver_.RunUntil([&] { return Lines(Console()).size() == 50; }));
  Follower f;
  hub_->Tail("web", true, 10, true, std::move(f.theirs));
  ASSERT_TRUE(driver_.RunUntil([&] { return Lines(f.Read()).size() == 11; })) << f.got;
  LogConfig next = cfg_;
  next.sinks = {FileSinkAt("files", dir_ / "files.log")};
  pid_t old = hub_->forwarder_pid();
  hub_->Reconfigure(next);
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != old; }));
  WaitAll({WriteData(web.out, "h-51\nh-52\n")});
  ASSERT_TRUE(driver_.RunUntil([&] { return Lines(f.Read()).size() == 13; })) << f.got;
  std::vector<std::string> lines = Lines(f.got);
  EXPECT_EQ("0", lines[0]);
  std::vector<int> n = Numbers(lines, "h");
  EXPECT_EQ("", Span(n, 41, 52)) << f.got;
  // And the whole history for a new client.
  Follower g;
  hub_->Tail("web", true, 100, false, std::move(g.theirs));
  ASSERT_TRUE(driver_.RunUntil([&] { return Lines(g.Read()).size() == 53; })) << g.got;
  EXPECT_EQ("", Span(Numbers(Lines(g.got), "h"), 1, 52));
  EXPECT_NE(std::string::npos, g.got.find(" stdout h-52\n")) << g.got;
  ASSERT_TRUE(Drain());
}

TEST_F(LogHubReloadTest, CollectorDownDoesNotStallTheHandover) {
  cfg_.sinks = {Syslog("tcp")};  // nobody listens
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 1000)});
  ASSERT_TRUE(driver_.RunUntil([&] { return Lines(Console()).size() == 1000; }));
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->Problem("central").empty(); }));
  LogConfig next = cfg_;
  next.sinks.clear();
  pid_t old = hub_->forwarder_pid();
  auto t0 = Clock::now();
  hub_->Reconfigure(next);
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != old; }));
  // An upper bound, not a speed: the handover's own deadline plus the
  // second after which PID 1 kills it.
  EXPECT_LT(Clock::now() - t0, LogHub::kHandoverTime + std::chrono::seconds(1));
  EXPECT_EQ(0, driver_.Status(old));
  EXPECT_EQ("", hub_->Problem("central")) << "a removed sink's state is forgotten";
  EXPECT_NE(std::string::npos,
            // web's 1000 lines and steward's own `central: cannot connect`.
            Stderr().find(fmt::format("central: removed by the reload with 1001 records not "
                                      "delivered; they stay in {}/central.spool",
                                      dir_ / "run/log")))
      << Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(Console()), "n"), 1000, false));
  ASSERT_TRUE(Drain());
}

TEST_F(LogHubReloadTest, DevLogDatagramsCrossTheHandoverOnce) {
  cfg_.syslog_socket = dir_ / "dev-log";
  StartHub();
  pid_t sender = SendDatagrams(dir_ / "dev-log", "s", 5000, 1000);
  ASSERT_TRUE(driver_.RunUntil([&] { return Numbers(Lines(Console()), "s").size() >= 500; }));
  LogConfig next = cfg_;
  next.sinks = {FileSinkAt("files", dir_ / "files.log")};
  pid_t old = hub_->forwarder_pid();
  hub_->Reconfigure(next);
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != old; }));
  WaitAll({sender});
  ASSERT_TRUE(Drain());
  std::vector<int> console = Numbers(Lines(Console()), "s");
  EXPECT_EQ("", Span(console, 1, 5000));
  std::vector<int> files = Numbers(Lines(ReadFile(dir_ / "files.log")), "s");
  ASSERT_FALSE(files.empty());
  EXPECT_LT(files.front(), 5000) << "the reload came mid-stream";
  EXPECT_EQ("", Span(files, files.front(), 5000));
}

TEST_F(LogHubReloadTest, MovedSyslogSocketIsBoundAtOnceAndTheOldOneEmptied) {
  cfg_.syslog_socket = dir_ / "old-log";
  StartHub();
  pid_t first = SendDatagrams(dir_ / "old-log", "s", 1000, 0);
  WaitAll({first});
  ASSERT_TRUE(driver_.RunUntil([&] { return Numbers(Lines(Console()), "s").size() == 1000; }));
  // The forwarder stopped: these are still queued on the old socket when
  // the reload unlinks it (10: net.unix.max_dgram_qlen's default; more
  // would block the sender).
  pid_t old = hub_->forwarder_pid();
  ASSERT_EQ(0, kill(old, SIGSTOP));
  pid_t sender = SendDatagrams(dir_ / "old-log", "r", 10, 0);
  WaitAll({sender});
  LogConfig next = cfg_;
  next.syslog_socket = dir_ / "new-log";
  hub_->Reconfigure(next);
  EXPECT_FALSE(Exists(dir_ / "old-log"));
  EXPECT_TRUE(Exists(dir_ / "new-log"));
  ASSERT_EQ(0, kill(old, SIGCONT));
  pid_t later = SendDatagrams(dir_ / "new-log", "t", 100, 0);  // while it hands over
  WaitAll({later});
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over(); }));
  EXPECT_EQ(0, driver_.Status(old)) << "handed over, not killed";
  ASSERT_TRUE(Drain());
  EXPECT_EQ("", Span(Numbers(Lines(Console()), "s"), 1, 1000));
  EXPECT_EQ("", Span(Numbers(Lines(Console()), "r"), 1, 10));
  EXPECT_EQ("", Span(Numbers(Lines(Console()), "t"), 1, 100));
}

// No writable runtime directory: the spool of a sink the reload adds is a
// memfd PID 1 makes and holds, so it survives a crash of the forwarder.
TEST_F(LogHubReloadTest, ANewNetworkSinkGetsASpoolThatSurvivesACrash) {
  cfg_.console = LogConfig::Console::kOff;
  WriteFile(dir_ / "file", "");
  StartHub(dir_ / "file/run");
  Fds web = Attach("web");
  LogConfig next = cfg_;
  next.sinks = {Syslog("tcp")};  // nobody listens yet
  pid_t old = hub_->forwarder_pid();
  hub_->Reconfigure(next);
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != old; }));
  WaitAll({WriteLines(web.out, "n", 500)});
  driver_.RunFor(std::chrono::milliseconds(300));
  pid_t victim = hub_->forwarder_pid();
  kill(victim, SIGKILL);
  ASSERT_TRUE(driver_.RunUntil([&] { return hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != victim; }));
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  // Delivered before the drain, which does not wait for a sink in an outage.
  std::vector<int> got;
  driver_.RunUntil([&] { return (got = Numbers(rsyslog_->ReceivedLines(), "n")).size() >= 500; },
                   std::chrono::seconds(60));
  ASSERT_TRUE(Drain(std::chrono::seconds(60)));
  EXPECT_EQ("", CheckSequence(got, 500, true));
}

}  // namespace
}  // namespace steward::testing
