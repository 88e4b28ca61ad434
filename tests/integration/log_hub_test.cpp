// The log pipeline in-process: a real LogHub in this test process (standing
// in for PID 1, reaping like the supervisor), its real forked forwarder,
// real pipes, and a real rsyslog on loopback. The console and the
// forwarder's stderr go to files of the test.
#include "steward/log/hub.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "harness.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using log::LogHub;
using Clock = std::chrono::steady_clock;

// Lines of text that end with suffix.
std::vector<std::string> Ending(const std::string& text, const std::string& suffix) {
  std::vector<std::string> out;
  for (const std::string& l : Lines(text)) {
    if (l.size() >= suffix.size() && l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(l);
    }
  }
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class LogHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.syslog_socket = "";  // never the machine's /dev/log
    cfg_.partial_flush = Duration(200);
    rsyslog_ = std::make_unique<Rsyslog>(dir_.path());
    rsyslog_->wait_exit = [this](pid_t pid) { driver_.WaitExit(pid); };
  }
  void TearDown() override {
    hub_.reset();
    rsyslog_.reset();
    // The forwarder's own stderr: under the sanitizers, its reports land here.
    EXPECT_EQ(std::string::npos, Stderr().find("Sanitizer")) << Stderr();
    EXPECT_EQ(std::string::npos, Stderr().find("runtime error:")) << Stderr();
  }

  void StartHub(const std::string& runtime_dir = "", int console_fd = -1) {
    console_ = console_fd >= 0 ? UniqueFd(console_fd)
                               : UniqueFd(open((dir_ / "console").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    stderr_ = UniqueFd(open((dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    hub_ = std::make_unique<LogHub>(driver_.loop(), cfg_, runtime_dir.empty() ? dir_ / "run" : runtime_dir);
    mkdir((dir_ / "run").c_str(), 0700);
    hub_->RedirectForwarderStdio(console_.get(), stderr_.get());
    driver_.on_exit = [this](pid_t pid, int status) {
      if (hub_) hub_->OnForwarderExit(pid, status);
    };
    std::string err;
    ASSERT_TRUE(hub_->Start(&err)) << err;
  }

  struct Fds {
    int out = -1, err = -1;
  };
  Fds Attach(const std::string& name, const ServiceLogConfig& cfg = {}) {
    Fds f;
    std::string err;
    EXPECT_TRUE(hub_->Attach(name, cfg, &f.out, &f.err, &err)) << err;
    return f;
  }

  void WaitAll(const std::vector<pid_t>& pids) {
    for (pid_t p : pids) {
      ASSERT_TRUE(driver_.RunUntil([&] { return driver_.Exited(p); }, std::chrono::seconds(60)));
      EXPECT_EQ(0, driver_.Status(p));
    }
  }

  bool Drain(std::chrono::seconds budget = std::chrono::seconds(20)) {
    bool done = false;
    hub_->Drain(Clock::now() + budget, [&] { done = true; });
    return driver_.RunUntil([&] { return done; }, budget + std::chrono::seconds(5));
  }

  std::string Console() { return ReadFile(dir_ / "console"); }
  std::string Stderr() { return ReadFile(dir_ / "stderr"); }

  SinkConfig Syslog(const std::string& scheme = "tcp") {
    SinkConfig s;
    s.name = "central";
    s.type = SinkConfig::Type::kSyslog;
    s.url = fmt::format("{}://127.0.0.1:{}", scheme, rsyslog_->port() ? rsyslog_->port() : FreePort());
    return s;
  }

  void SpoolCrash(bool in_memory) {
    cfg_.sinks = {Syslog("tcp")};  // nobody listens yet
    cfg_.console = LogConfig::Console::kOff;
    // A runtime directory under a regular file cannot be created.
    WriteFile(dir_ / "file", "");
    StartHub(in_memory ? dir_ / "file/run" : "");
    Fds web = Attach("web");
    WaitAll({WriteLines(web.out, "n", 3000)});
    driver_.RunFor(std::chrono::milliseconds(300));
    pid_t victim = hub_->forwarder_pid();
    kill(victim, SIGKILL);
    ASSERT_TRUE(driver_.RunUntil([&] { return hub_->forwarder_pid() > 0 && hub_->forwarder_pid() != victim; }));
    std::string err;
    ASSERT_TRUE(rsyslog_->Start(&err)) << err;
    ASSERT_TRUE(Drain(std::chrono::seconds(60)));
    // Delivered means acknowledged by rsyslog's kernel; rsyslog writes its
    // file a little later, later still on a loaded machine.
    std::vector<std::string> got;
    driver_.RunUntil([&] {
      got = rsyslog_->ReceivedLines();
      return Numbers(got, "n").size() >= 3000;
    });
    EXPECT_EQ("", CheckSequence(Numbers(got, "n"), 3000, true));
    EXPECT_EQ(in_memory, !Exists(dir_ / "run/log/central.spool"));
  }

  TempDir dir_;
  LoopDriver driver_;
  LogConfig cfg_;
  std::unique_ptr<Rsyslog> rsyslog_;
  std::unique_ptr<LogHub> hub_;
  UniqueFd console_, stderr_;
};

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

TEST_F(LogHubTest, CollectorDownThenBackGetsTheBacklogInOrder) {
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  cfg_.sinks = {Syslog("tcp")};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 500)});
  ASSERT_TRUE(driver_.RunUntil([&] { return rsyslog_->ReceivedLines().size() >= 500; }));
  rsyslog_->Stop();
  // Lines 501-1000 are written while the collector is down.
  WaitAll({WriteData(web.out, [] {
    std::string s;
    for (int i = 501; i <= 1000; ++i) s += fmt::format("n-{}\n", i);
    return s;
  }())});
  driver_.RunFor(std::chrono::milliseconds(1500));
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  WaitAll({WriteData(web.out, [] {
    std::string s;
    for (int i = 1001; i <= 1500; ++i) s += fmt::format("n-{}\n", i);
    return s;
  }())});
  ASSERT_TRUE(Drain(std::chrono::seconds(60)));
  std::vector<std::string> got;
  driver_.RunUntil([&] {  // rsyslog writes its file after the ack
    got = rsyslog_->ReceivedLines();
    return Numbers(got, "n").size() >= 1500;
  });
  EXPECT_EQ("", CheckSequence(Numbers(got, "n"), 1500, true));
  EXPECT_EQ(1u, Grep(Stderr(), "central: connection to").size() + Grep(Stderr(), "central: cannot connect").size())
      << Stderr();
  EXPECT_EQ(1u, Grep(Stderr(), "central: connected to").size()) << Stderr();
}

// Records waiting in a spool for a collector that is down survive a
// forwarder crash: the spool is a file in the runtime directory, or, when
// there is no writable one, a memfd that PID 1 holds.
TEST_F(LogHubTest, SpoolOnDiskSurvivesAForwarderCrash) { SpoolCrash(false); }
TEST_F(LogHubTest, SpoolInMemorySurvivesAForwarderCrash) { SpoolCrash(true); }

// The json sink: NDJSON over TCP, as Fluent Bit's in_tcp or Vector's
// socket source read it. The receiver here is a plain listening socket.
TEST_F(LogHubTest, JsonSinkSendsOneParsableObjectPerLine) {
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, bind(ls, reinterpret_cast<struct sockaddr*>(&sin), sizeof sin));
  socklen_t len = sizeof sin;
  getsockname(ls, reinterpret_cast<struct sockaddr*>(&sin), &len);
  ASSERT_EQ(0, listen(ls, 4));
  std::string received;
  std::thread server([&] {
    int c = accept(ls, nullptr, nullptr);
    char buf[65536];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) received.append(buf, size_t(n));
    close(c);
  });
  SinkConfig json;
  json.name = "vector";
  json.type = SinkConfig::Type::kJson;
  json.url = fmt::format("tcp://127.0.0.1:{}", ntohs(sin.sin_port));
  cfg_.sinks = {json};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "o", 1000), WriteData(web.err, "tricky \"\x01\xff\n")});
  ASSERT_TRUE(Drain());
  hub_.reset();  // the forwarder has exited: the connection is closed
  server.join();
  close(ls);
  std::vector<std::string> lines = Lines(received);
  ASSERT_EQ(1001u, lines.size());
  std::vector<std::string> msgs;
  for (const std::string& l : lines) {
    std::map<std::string, std::string> obj;
    ASSERT_TRUE(ParseFlatJson(l, &obj)) << l;
    EXPECT_EQ("web", obj["service"]);
    msgs.push_back(obj["msg"]);
    if (obj["stream"] == "stderr") {
      EXPECT_EQ("tricky \"\x01\xef\xbf\xbd", obj["msg"]);
    }
  }
  EXPECT_EQ("", CheckSequence(Numbers(msgs, "o"), 1000, false));
}

// unix:// to a datagram socket (another syslogd's /dev/log): one datagram
// per record, no framing.
TEST_F(LogHubTest, UnixDatagramSinkSendsOneDatagramPerRecord) {
  std::string path = dir_ / "collector.sock";
  int rs = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(0, bind(rs, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun));
  SinkConfig local;
  local.name = "local";
  local.type = SinkConfig::Type::kSyslog;
  local.url = "unix://" + path;
  local.rfc3164 = true;
  cfg_.sinks = {local};
  cfg_.console = LogConfig::Console::kOff;
  // A datagram socket queues only a few datagrams (net.unix.max_dgram_qlen):
  // the collector reads as they come, as a real one does.
  std::vector<std::string> got;
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = recv(rs, buf, sizeof buf, 0)) > 0 && got.size() < 100) got.emplace_back(buf, size_t(n));
  });
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "d", 100)});
  ASSERT_TRUE(Drain());
  shutdown(rs, SHUT_RDWR);
  reader.join();
  close(rs);
  ASSERT_EQ(100u, got.size());
  EXPECT_EQ(0u, got[0].find("<30>")) << got[0];
  EXPECT_EQ(" web: d-1", got[0].substr(got[0].size() - 9)) << got[0];
  EXPECT_EQ("", CheckSequence(Numbers(got, "d"), 100, false));
}

TEST_F(LogHubTest, TinyBufferWithCollectorDownCountsAndAnnouncesDrops) {
  SinkConfig central = Syslog("tcp");  // nobody listens on that port yet
  central.buffer = 4096;
  SinkConfig files;
  files.name = "files";
  files.type = SinkConfig::Type::kFile;
  files.path = dir_ / "all.log";
  cfg_.sinks = {central, files};
  cfg_.console = LogConfig::Console::kOff;
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 2000)});
  ASSERT_TRUE(driver_.RunUntil([&] { return hub_->Dropped("central") > 0; }));
  // Announced at most once a second, each with the count since the last.
  std::string prefix = "steward: warning: central: dropped ";
  auto announced = [&] {
    uint64_t sum = 0;
    for (const std::string& l : Grep(Stderr(), prefix)) sum += std::stoull(l.substr(l.find(prefix) + prefix.size()));
    return sum;
  };
  ASSERT_TRUE(driver_.RunUntil([&] { return announced() == hub_->Dropped("central"); })) << Stderr();
  EXPECT_GT(hub_->Dropped("central"), 1500u);
  std::string announcement = Grep(Stderr(), prefix).at(0).substr(Grep(Stderr(), prefix)[0].find(prefix));
  ASSERT_TRUE(driver_.RunUntil([&] { return !Grep(ReadFile(dir_ / "all.log"), announcement).empty(); }));
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(dir_ / "all.log")), "n"), 2000, false));
  // The collector comes up: it gets the newest records and the announcement.
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  ASSERT_TRUE(Drain(std::chrono::seconds(60)));
  ASSERT_TRUE(driver_.RunUntil([&] { return !Grep(rsyslog_->Received(), announcement).empty(); }))
      << rsyslog_->Received();
  EXPECT_EQ(1u, Ending(rsyslog_->Received(), " n-2000").size());
}

TEST_F(LogHubTest, LoggerThroughDevLogReachesRsyslogWithItsTag) {
  std::string err;
  ASSERT_TRUE(rsyslog_->Start(&err)) << err;
  cfg_.sinks = {Syslog("tcp")};
  cfg_.syslog_socket = dir_ / "dev-log";
  StartHub();
  auto logger = [&](std::vector<std::string> args) {
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>("logger"));
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("logger", argv.data());
      _exit(127);
    }
    WaitAll({pid});
  };
  logger({"-u", dir_ / "dev-log", "-t", "mytag", "-p", "local3.warning", "hello from logger"});
  logger({"-u", dir_ / "dev-log", "--rfc5424", "-t", "other", "second one"});
  ASSERT_TRUE(Drain());
  std::string got;
  driver_.RunUntil([&] {  // rsyslog writes its file after the ack
    got = rsyslog_->Received();
    return !Grep(got, "hello from logger").empty() && !Grep(got, " other ").empty();
  });
  std::vector<std::string> hello = Grep(got, "hello from logger");
  ASSERT_EQ(1u, hello.size()) << got;
  // local3 (19) * 8 + warning (4) = 156, APP-NAME is the tag, MSGID syslog.
  EXPECT_EQ(0u, hello[0].find("<156>1 ")) << hello[0];
  EXPECT_NE(std::string::npos, hello[0].find(" mytag ")) << hello[0];
  EXPECT_NE(std::string::npos, hello[0].find(" syslog - hello from logger")) << hello[0];
  EXPECT_EQ(1u, Grep(got, " other ").size()) << got;
  EXPECT_EQ(1u, Grep(Console(), "mytag | hello from logger").size()) << Console();
  EXPECT_EQ(1u, Grep(Console(), "other | second one").size()) << Console();
}

}  // namespace
}  // namespace steward::testing
