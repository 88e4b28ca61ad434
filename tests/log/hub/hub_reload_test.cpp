// LogHub::Reconfigure (SPEC §4 step 5) in-process: file sinks added, removed, changed while a service writes numbered lines; global settings.
#include "hub_reload_fixture.hpp"

namespace steward::testing {
namespace {

using namespace loghub;

TEST_F(LogHubReloadTest, NewSinkGetsEveryLineFromTheReloadOn) {
  cfg_.sinks = {FileSinkAt("old", dir_ / "old.log")};
  StartHub();
  LogConfig next = cfg_;
  next.sinks.push_back(FileSinkAt("new", dir_ / "new.log"));
  pid_t writer = WriteAndReconfigure(next, dir_ / "old.log");
  WaitAll({writer});
  ASSERT_TRUE(Drain());
  ExpectAll(ReadFile(dir_ / "old.log"), "old sink");
  ExpectAll(Console(), "console");
  std::vector<int> got = Numbers(Lines(ReadFile(dir_ / "new.log")), "n");
  ASSERT_FALSE(got.empty());
  EXPECT_GT(got.front(), 2000) << "the new sink starts at the reload, not before";
  EXPECT_LT(got.front(), kLines) << "the reload came mid-stream";
  EXPECT_EQ("", Span(got, got.front(), kLines)) << "a contiguous suffix";
  EXPECT_EQ("", Stderr());
}

TEST_F(LogHubReloadTest, RemovedSinkHasAPrefixAndIsClosed) {
  cfg_.sinks = {FileSinkAt("gone", dir_ / "gone.log"), FileSinkAt("kept", dir_ / "kept.log")};
  StartHub();
  LogConfig next = cfg_;
  next.sinks = {FileSinkAt("kept", dir_ / "kept.log")};
  pid_t writer = WriteAndReconfigure(next, dir_ / "gone.log");
  std::vector<int> gone = Numbers(Lines(ReadFile(dir_ / "gone.log")), "n");  // flushed at the handover
  ASSERT_FALSE(gone.empty());
  // Once the new forwarder has written to kept.log (files open lazily):
  ASSERT_TRUE(driver_.RunUntil([&] {
    return Numbers(Lines(ReadFile(dir_ / "kept.log")), "n").size() > gone.size() + 100;
  }));
  std::vector<std::string> files = OpenFiles(new_forwarder_);
  EXPECT_NE(files.end(), std::find(files.begin(), files.end(), std::string(dir_ / "kept.log")));
  EXPECT_EQ(files.end(), std::find(files.begin(), files.end(), std::string(dir_ / "gone.log")));
  WaitAll({writer});
  ASSERT_TRUE(Drain());
  EXPECT_LT(gone.back(), kLines) << "the reload came mid-stream";
  EXPECT_EQ("", Span(gone, 1, gone.back())) << "a contiguous prefix";
  EXPECT_EQ(gone, Numbers(Lines(ReadFile(dir_ / "gone.log")), "n")) << "nothing after the handover";
  ExpectAll(ReadFile(dir_ / "kept.log"), "kept sink");
  ExpectAll(Console(), "console");
}

TEST_F(LogHubReloadTest, ChangedSinkFlushesClosesAndReopens) {
  cfg_.sinks = {FileSinkAt("files", dir_ / "a.log")};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  LogConfig next = cfg_;
  next.sinks = {FileSinkAt("files", dir_ / "b.log")};
  next.console = LogConfig::Console::kRaw;  // a global setting: applies at once
  pid_t writer = WriteAndReconfigure(next, dir_ / "a.log");
  WaitAll({writer});
  ASSERT_TRUE(Drain());
  std::vector<int> a = Numbers(Lines(ReadFile(dir_ / "a.log")), "n");
  std::vector<int> b = Numbers(Lines(ReadFile(dir_ / "b.log")), "n");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ("", Span(a, 1, a.back()));
  EXPECT_EQ("", Span(b, a.back() + 1, kLines)) << "b.log continues where a.log stopped";
  std::vector<int> console = Numbers(Lines(Console()), "n");
  EXPECT_EQ("", Span(console, a.back() + 1, kLines)) << "console turned on at the reload";
  EXPECT_EQ(fmt::format("n-{}", a.back() + 1), Lines(Console()).front());  // raw: no prefix
}

TEST_F(LogHubReloadTest, GlobalSettingsAndTheNameWidthApplyFromTheReloadOn) {
  StartHub();
  hub_->Expect({{"web", {}}});
  Fds web = Attach("web");
  WaitAll({WriteData(web.out, "before-0123456789\n")});
  ASSERT_TRUE(driver_.RunUntil([&] { return !Console().empty(); }));
  LogConfig next = cfg_;
  next.max_line = 8;
  pid_t old = hub_->forwarder_pid();
  hub_->Reconfigure(next);
  hub_->Expect({{"web", {}}, {"backend", {}}});  // as PID 1 does after a reload
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != old; }));
  WaitAll({WriteData(web.out, "after-0123456789\n")});
  ASSERT_TRUE(Drain());
  EXPECT_EQ("web | before-0123456789\n"
            "web     | after-01\n"
            "web     | 23456789\n",
            Console());
}

TEST_F(LogHubReloadTest, AForwarderThatDoesNotHandOverIsKilledAndNothingIsLost) {
  cfg_.sinks = {FileSinkAt("files", dir_ / "files.log")};
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 3000)});
  pid_t old = hub_->forwarder_pid();
  ASSERT_EQ(0, kill(old, SIGSTOP));  // it cannot answer kHandover
  LogConfig next = cfg_;
  next.sinks.push_back(FileSinkAt("more", dir_ / "more.log"));
  hub_->Reconfigure(next);
  ASSERT_TRUE(driver_.RunUntil([&] { return hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != old; }));
  ASSERT_TRUE(WIFSIGNALED(driver_.Status(old)));
  EXPECT_EQ(SIGKILL, WTERMSIG(driver_.Status(old)));
  EXPECT_FALSE(hub_->handing_over());
  ASSERT_TRUE(Drain());
  // A kill is a crash: what was not committed is repeated, nothing lost.
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(dir_ / "files.log")), "n"), 3000, true));
  EXPECT_EQ("", CheckSequence(Numbers(Lines(Console()), "n"), 3000, true));
}

TEST_F(LogHubReloadTest, ASecondReloadDuringTheHandoverWins) {
  StartHub();
  Fds web = Attach("web");
  LogConfig first = cfg_;
  first.sinks = {FileSinkAt("first", dir_ / "first.log")};
  LogConfig second = cfg_;
  second.sinks = {FileSinkAt("second", dir_ / "second.log")};
  pid_t old = hub_->forwarder_pid();
  hub_->Reconfigure(first);
  hub_->Reconfigure(second);
  ASSERT_TRUE(driver_.RunUntil([&] { return !hub_->handing_over() && hub_->forwarder_pid() != old; }));
  WaitAll({WriteLines(web.out, "n", 100)});
  ASSERT_TRUE(Drain());
  EXPECT_EQ("", Span(Numbers(Lines(ReadFile(dir_ / "second.log")), "n"), 1, 100));
  EXPECT_FALSE(Exists(dir_ / "first.log"));
}

}  // namespace
}  // namespace steward::testing
