// LogHub::Reconfigure (SPEC §4 step 5) in-process: [log] changes while services write numbered lines, none lost or doubled.
#include "log_hub_fixture.hpp"

#include <dirent.h>
#include <sys/un.h>

namespace steward::testing {
namespace {

using namespace loghub;

constexpr int kLines = 30000;

SinkConfig FileSinkAt(const std::string& name, const std::string& path) {
  SinkConfig s;
  s.name = name;
  s.type = SinkConfig::Type::kFile;
  s.path = path;
  return s;
}

// "" when numbers are exactly first, first+1, ..., last.
std::string Span(const std::vector<int>& numbers, int first, int last) {
  if (numbers.size() != size_t(last - first + 1)) {
    return fmt::format("{} numbers, want {} ({}..{})", numbers.size(), last - first + 1, first, last);
  }
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != first + int(i)) return fmt::format("at {}: {}, want {}", i, numbers[i], first + int(i));
  }
  return "";
}

// Where the descriptors of pid point.
std::vector<std::string> OpenFiles(pid_t pid) {
  std::vector<std::string> out;
  std::string dir = fmt::format("/proc/{}/fd", pid);
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    char target[4096];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n > 0) out.emplace_back(target, size_t(n));
  }
  closedir(d);
  return out;
}

// Forks a child that sends `count` datagrams "<14>job: PREFIX-N" to the
// unix datagram socket at path, pausing pause_us every 10, then exits 0.
pid_t SendDatagrams(const std::string& path, const std::string& prefix, int count, int pause_us) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  for (int i = 1; i <= count; ++i) {
    std::string d = fmt::format("<14>job: {}-{}", prefix, i);
    while (sendto(fd, d.data(), d.size(), 0, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) < 0) {
      if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) _exit(1);
      usleep(1000);
    }
    if (pause_us && i % 10 == 0) usleep(useconds_t(pause_us));
  }
  _exit(0);
}

class LogHubReloadTest : public LogHubTest {
 protected:
  // Starts "web" writing kLines numbered lines, slowly enough that the
  // reload comes in the middle, and reconfigures once some have arrived.
  pid_t WriteAndReconfigure(const LogConfig& next, const std::string& seen_in) {
    Fds web = Attach("web");
    pid_t writer = WriteLines(web.out, "n", kLines, 1000, 10);
    EXPECT_TRUE(driver_.RunUntil([&] { return Numbers(Lines(ReadFile(seen_in)), "n").size() >= 2000; }));
    old_forwarder_ = hub_->forwarder_pid();
    hub_->Reconfigure(next);
    EXPECT_TRUE(hub_->handing_over());
    EXPECT_TRUE(driver_.RunUntil([&] {
      return !hub_->handing_over() && hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != old_forwarder_;
    }));
    EXPECT_TRUE(driver_.Exited(old_forwarder_));
    EXPECT_EQ(0, driver_.Status(old_forwarder_)) << "the old forwarder exits 0 after its handover";
    new_forwarder_ = hub_->forwarder_pid();
    return writer;
  }

  // Every number exactly once, in order.
  void ExpectAll(const std::string& text, const char* where) {
    std::vector<int> n = Numbers(Lines(text), "n");
    EXPECT_EQ("", Span(n, 1, kLines)) << where;
  }

  pid_t old_forwarder_ = 0, new_forwarder_ = 0;
};

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

// Waits until rsyslog's file stops growing (it writes a little after its
// kernel acknowledged), then returns its numbers.
std::vector<int> Settled(Rsyslog& rsyslog, LoopDriver& driver, size_t at_least) {
  std::vector<int> got;
  size_t last = size_t(-1);
  driver.RunUntil([&] {
    got = Numbers(rsyslog.ReceivedLines(), "n");
    bool stable = got.size() == last && got.size() >= at_least;
    last = got.size();
    if (!stable) driver.RunFor(std::chrono::milliseconds(500));
    return stable;
  }, std::chrono::seconds(60));
  return got;
}

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

// A `ctl logs` client: reads what the forwarder writes to it.
struct Follower {
  Follower() {
    int sv[2];
    EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    mine.Reset(sv[0]);
    theirs.Reset(sv[1]);
    fcntl(mine.get(), F_SETFL, O_NONBLOCK);
  }
  const std::string& Read() {
    char buf[65536];
    ssize_t n;
    while ((n = read(mine.get(), buf, sizeof buf)) > 0) got.append(buf, size_t(n));
    return got;
  }
  UniqueFd mine, theirs;
  std::string got;
};

TEST_F(LogHubReloadTest, CtlLogsHistoryAndFollowersSurvive) {
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "h", 50, 0, 1)});
  ASSERT_TRUE(driver_.RunUntil([&] { return Lines(Console()).size() == 50; }));
  Follower f;
  hub_->Tail("web", 10, true, std::move(f.theirs));
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
  hub_->Tail("web", 100, false, std::move(g.theirs));
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
            Stderr().find(fmt::format("central: removed by the reload with 1000 records not "
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
