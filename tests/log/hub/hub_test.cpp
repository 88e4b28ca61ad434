// The log pipeline in-process: a real LogHub in this test process (standing
// in for PID 1, reaping like the supervisor), its real forked forwarder,
// real pipes, and a real rsyslog on loopback. The console and the
// forwarder's stderr go to files of the test.
#include "hub_fixture.hpp"

namespace steward::testing {
namespace {

using namespace loghub;

TEST_F(LogHubTest, ConsoleShowsEveryLinePrefixedAndPadded) {
  StartHub();
  Fds web = Attach("web"), pg = Attach("postgres");
  WaitAll({WriteLines(web.out, "wo", 500), WriteLines(web.err, "we", 500),
           WriteLines(pg.out, "po", 500), WriteLines(pg.err, "pe", 500)});
  ASSERT_TRUE(Drain());
  std::vector<std::string> lines = Lines(Console());
  EXPECT_EQ(2000u, lines.size());
  for (const char* p : {"wo", "we", "po", "pe"}) {
    EXPECT_EQ("", CheckSequence(Numbers(lines, p), 500, false)) << p;
  }
  EXPECT_EQ(1000u, Grep(Console(), "web      | w").size());
  EXPECT_EQ(1000u, Grep(Console(), "postgres | p").size());
}

TEST_F(LogHubTest, ConsolePadsToTheLongestExpectedNameFromTheFirstLine) {
  ServiceLogConfig api;
  api.prefix = "api-gateway";
  StartHub();
  hub_->Expect({{"web", {}}, {"backend", api}});
  Fds web = Attach("web");  // backend has not started yet
  WaitAll({WriteData(web.out, "first\n")});
  ASSERT_TRUE(Drain());
  EXPECT_EQ("web         | first\n", Console());
}

TEST_F(LogHubTest, ConsoleJsonParsesBack) {
  cfg_.console = LogConfig::Console::kJson;
  StartHub();
  Fds web = Attach("web");
  hub_->SetPid("web", 4242);
  std::string weird = "tab\there \"quoted\" back\\slash \x01 bell\x07 bad\xff utf8 \xc3\xa9";
  WaitAll({WriteData(web.err, weird + "\nplain\n")});
  ASSERT_TRUE(Drain());
  std::vector<std::string> lines = Lines(Console());
  ASSERT_EQ(2u, lines.size()) << Console();
  std::map<std::string, std::string> obj;
  ASSERT_TRUE(ParseFlatJson(lines[0], &obj)) << lines[0];
  EXPECT_EQ("web", obj["service"]);
  EXPECT_EQ("stderr", obj["stream"]);
  EXPECT_EQ("tab\there \"quoted\" back\\slash \x01 bell\x07 bad\xef\xbf\xbd utf8 \xc3\xa9", obj["msg"]);
  EXPECT_EQ(27u, obj["time"].size()) << obj["time"];
  obj.clear();
  ASSERT_TRUE(ParseFlatJson(lines[1], &obj)) << lines[1];
  EXPECT_EQ("plain", obj["msg"]);
}

TEST_F(LogHubTest, FinalLineWithoutNewlineIsDeliveredAtDrain) {
  cfg_.partial_flush = Duration(60000);  // only the end of the pipe can flush it
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteData(web.out, "first\nlast words")});
  ASSERT_TRUE(Drain());
  EXPECT_EQ("web | first\nweb | last words\n", Console());
}

TEST_F(LogHubTest, UnterminatedLineIsFlushedAfterSilence) {
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteData(web.out, "Password: ")});
  EXPECT_TRUE(driver_.RunUntil([&] { return Console() == "web | Password: \n"; },
                               std::chrono::seconds(10)))
      << Console();
  ASSERT_TRUE(Drain());
}

TEST_F(LogHubTest, LinesLongerThanMaxLineAreCut) {
  cfg_.console = LogConfig::Console::kRaw;
  cfg_.max_line = 1024;
  StartHub();
  Fds web = Attach("web");
  std::string line(3000, 'x');
  WaitAll({WriteData(web.out, line + "\nshort\n")});
  ASSERT_TRUE(Drain());
  std::vector<std::string> lines = Lines(Console());
  ASSERT_EQ(4u, lines.size());
  EXPECT_EQ(std::string(1024, 'x'), lines[0]);
  EXPECT_EQ(std::string(1024, 'x'), lines[1]);
  EXPECT_EQ(std::string(952, 'x'), lines[2]);
  EXPECT_EQ("short", lines[3]);
}

TEST_F(LogHubTest, PerServiceOverrides) {
  SinkConfig files;
  files.name = "files";
  files.type = SinkConfig::Type::kFile;
  files.path = dir_ / "logs/{service}.log";
  cfg_.sinks = {files};
  StartHub();
  ServiceLogConfig quiet;
  quiet.console = false;
  ServiceLogConfig api;
  api.prefix = "api";
  ServiceLogConfig nofiles;
  nofiles.sinks = std::vector<std::string>{};
  Fds a = Attach("quiet", quiet), b = Attach("backend", api), c = Attach("nofiles", nofiles);
  WaitAll({WriteData(a.out, "from quiet\n"), WriteData(b.out, "from backend\n"),
           WriteData(c.out, "from nofiles\n")});
  ASSERT_TRUE(Drain());
  // Different pipes: no order between services.
  EXPECT_EQ((std::vector<std::string>{"api     | from backend", "nofiles | from nofiles"}),
            Sorted(Lines(Console())));
  EXPECT_NE(std::string::npos, ReadFile(dir_ / "logs/quiet.log").find(" quiet stdout from quiet\n"));
  EXPECT_NE(std::string::npos, ReadFile(dir_ / "logs/backend.log").find(" backend stdout from backend\n"));
  EXPECT_FALSE(Exists(dir_ / "logs/nofiles.log"));
}

TEST_F(LogHubTest, FileSinkRotatesWithoutLosingOrSplittingALine) {
  SinkConfig files;
  files.name = "files";
  files.type = SinkConfig::Type::kFile;
  files.path = dir_ / "logs/{service}.log";
  files.rotate_size = 64 << 10;
  files.keep = 9;
  cfg_.sinks = {files};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "line", 5000)});
  ASSERT_TRUE(Drain());
  std::string all;
  for (int i = 9; i >= 1; --i) {
    std::string path = fmt::format("{}.{}", dir_ / "logs/web.log", i);
    if (!Exists(path)) continue;
    std::string part = ReadFile(path);
    EXPECT_LE(part.size(), 64u << 10) << path;
    EXPECT_EQ('\n', part.back()) << path;
    all += part;
  }
  all += ReadFile(dir_ / "logs/web.log");
  EXPECT_EQ("", CheckSequence(Numbers(Lines(all), "line"), 5000, false));
}

// Numbered lines of several streams arrive exactly, octet-counted over TCP.
TEST_F(LogHubTest, RsyslogTcpOctetCountedGetsEveryLine) {
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  cfg_.sinks = {Syslog("tcp")};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  Fds web = Attach("web"), db = Attach("db");
  hub_->SetPid("web", 321);
  WaitAll({WriteLines(web.out, "wo", 2000), WriteLines(web.err, "we", 2000),
           WriteLines(db.out, "do", 2000), WriteLines(db.err, "de", 2000)});
  ASSERT_TRUE(Drain());
  std::vector<std::string> got;
  ASSERT_TRUE(driver_.RunUntil([&] {
    got = rsyslog_->ReceivedLines();
    return got.size() >= 8000;
  })) << got.size();
  EXPECT_EQ(8000u, got.size());
  for (const char* p : {"wo", "we", "do", "de"}) EXPECT_EQ("", CheckSequence(Numbers(got, p), 2000, false)) << p;
  std::vector<std::string> first = Ending(rsyslog_->Received(), " wo-1");
  ASSERT_EQ(1u, first.size());
  // <daemon.info>1 TIMESTAMP HOST web 321 stdout - wo-1
  EXPECT_EQ(0u, first[0].find("<30>1 20")) << first[0];
  EXPECT_NE(std::string::npos, first[0].find(" web 321 stdout - wo-1")) << first[0];
  EXPECT_EQ(1u, Ending(rsyslog_->Received(), " db - stderr - de-2000").size());
}

TEST_F(LogHubTest, RsyslogUdpGetsEveryLine) {
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  SinkConfig udp = Syslog("udp");
  udp.rfc3164 = true;
  cfg_.sinks = {udp};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  Fds web = Attach("web"), db = Attach("db");
  // Paced: UDP has no flow control, and a receiver that falls behind loses
  // datagrams in its own socket buffer, which no sender can prevent.
  WaitAll({WriteLines(web.out, "wo", 300, 2000, 1), WriteLines(web.err, "we", 300, 2000, 1),
           WriteLines(db.out, "do", 300, 2000, 1), WriteLines(db.err, "de", 300, 2000, 1)});
  ASSERT_TRUE(Drain());
  std::vector<std::string> got;
  driver_.RunUntil([&] {
    got = rsyslog_->ReceivedLines();
    return got.size() >= 1200;
  });
  EXPECT_EQ(1200u, got.size());
  for (const char* p : {"wo", "we", "do", "de"}) EXPECT_EQ("", CheckSequence(Numbers(got, p), 300, false)) << p;
  std::vector<std::string> first = Ending(rsyslog_->Received(), " web: wo-1");
  ASSERT_EQ(1u, first.size()) << rsyslog_->Received().substr(0, 500);
  EXPECT_EQ(0u, first[0].find("<30>")) << first[0];
}

// The forwarder is SIGKILLed several times mid-stream; every line still
// reaches every sink (some twice), in order.
TEST_F(LogHubTest, ForwarderKilledMidStreamLosesNothing) {
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  SinkConfig files;
  files.name = "files";
  files.type = SinkConfig::Type::kFile;
  files.path = dir_ / "logs/{service}.log";
  files.rotate_size = 0;
  cfg_.sinks = {Syslog("tcp"), files};
  StartHub();
  Fds web = Attach("web"), db = Attach("db");
  const int n = 20000;
  std::vector<pid_t> writers = {WriteLines(web.out, "wo", n, 10000), WriteLines(web.err, "we", n, 10000),
                                WriteLines(db.out, "do", n, 10000), WriteLines(db.err, "de", n, 10000)};
  for (int kill_no = 0; kill_no < 5; ++kill_no) {
    driver_.RunFor(std::chrono::milliseconds(300));
    pid_t victim = hub_->forwarder_pid();
    ASSERT_GT(victim, 0);
    kill(victim, SIGKILL);
    ASSERT_TRUE(driver_.RunUntil([&] { return hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != victim; }));
  }
  WaitAll(writers);
  ASSERT_TRUE(Drain(std::chrono::seconds(60)));
  std::vector<std::string> console = Lines(Console());
  std::vector<std::string> files_web = Lines(ReadFile(dir_ / "logs/web.log"));
  std::vector<std::string> files_db = Lines(ReadFile(dir_ / "logs/db.log"));
  std::vector<std::string> central;
  driver_.RunUntil([&] {
    central = rsyslog_->ReceivedLines();
    return central.size() >= 4u * n;
  });
  for (const char* p : {"wo", "we", "do", "de"}) {
    EXPECT_EQ("", CheckSequence(Numbers(console, p), n, true)) << "console " << p;
    EXPECT_EQ("", CheckSequence(Numbers(p[0] == 'w' ? files_web : files_db, p), n, true)) << "file " << p;
    EXPECT_EQ("", CheckSequence(Numbers(central, p), n, true)) << "rsyslog " << p;
  }
}

TEST_F(LogHubTest, ForwarderKilledWhileDrainingIsRestartedAndFinishes) {
  cfg_.console = LogConfig::Console::kRaw;
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 200000)});  // ~2 MB, most of it still in the pipe
  bool done = false;
  hub_->Drain(Clock::now() + std::chrono::seconds(30), [&] { done = true; });
  kill(hub_->forwarder_pid(), SIGKILL);
  ASSERT_TRUE(driver_.RunUntil([&] { return done; }, std::chrono::seconds(40)));
  EXPECT_EQ("", CheckSequence(Numbers(Lines(Console()), "n"), 200000, true));
}

// A console nobody reads (docker logs stalled): by default the services
// block, as with Docker's blocking mode, and nothing is lost once it reads.
TEST_F(LogHubTest, BlockingConsoleHoldsTheServiceBackAndLosesNothing) {
  int pfd[2];
  ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
  UniqueFd reader(pfd[0]);
  cfg_.console = LogConfig::Console::kRaw;
  StartHub("", pfd[1]);
  Fds web = Attach("web");
  pid_t writer = WriteLines(web.out, "n", 400000);  // ~3.5 MB: more than every buffer on the way
  driver_.RunFor(std::chrono::milliseconds(1500));
  EXPECT_FALSE(driver_.Exited(writer));  // blocked on write
  // Now the console is read.
  std::string got;
  fcntl(reader.get(), F_SETFL, O_NONBLOCK);
  ev_io io;
  struct Ctx { int fd; std::string* got; } ctx{reader.get(), &got};
  ev_io_init(&io, [](struct ev_loop*, ev_io* w, int) {
    auto* c = static_cast<Ctx*>(w->data);
    char buf[65536];
    ssize_t n;
    while ((n = read(c->fd, buf, sizeof buf)) > 0) c->got->append(buf, size_t(n));
  }, reader.get(), EV_READ);
  io.data = &ctx;
  ev_io_start(driver_.loop(), &io);
  WaitAll({writer});
  bool done = false;
  hub_->Drain(Clock::now() + std::chrono::seconds(30), [&] { done = true; });
  ASSERT_TRUE(driver_.RunUntil([&] { return done; }, std::chrono::seconds(40)));
  driver_.RunFor(std::chrono::milliseconds(100));
  ev_io_stop(driver_.loop(), &io);
  EXPECT_EQ("", CheckSequence(Numbers(Lines(got), "n"), 400000, false));
}

// With console_overflow = "drop-oldest" the same stalled console drops
// (counted and announced) and never holds anything else back.
TEST_F(LogHubTest, DropOldestConsoleNeverBlocks) {
  int pfd[2];
  ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
  UniqueFd reader(pfd[0]);
  cfg_.console = LogConfig::Console::kRaw;
  cfg_.console_drop_oldest = true;
  SinkConfig files;
  files.name = "files";
  files.type = SinkConfig::Type::kFile;
  files.path = dir_ / "all.log";
  files.rotate_size = 0;
  cfg_.sinks = {files};
  StartHub("", pfd[1]);
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 400000)});  // finishes although nobody reads the console
  ASSERT_TRUE(driver_.RunUntil([&] { return hub_->Dropped("console") > 0; }));
  ASSERT_TRUE(Drain(std::chrono::seconds(3)));  // the console's queue never empties: deadline
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(dir_ / "all.log")), "n"), 400000, false));
  EXPECT_FALSE(Grep(Stderr(), "steward: warning: console: dropped ").empty()) << Stderr();
}

}  // namespace
}  // namespace steward::testing
