// The log pipeline in-process, continued: collectors that go away, spools, json and datagram sinks, drops, /dev/log.
#include "hub_fixture.hpp"

namespace steward::testing {
namespace {

using namespace loghub;

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
  // Delivered before the drain: at the drain a sink still in its outage
  // (back-off) is not waited for (SPEC §5), its records stay in the spool.
  std::vector<std::string> got;
  driver_.RunUntil([&] {  // rsyslog writes its file after the ack
    got = rsyslog_->ReceivedLines();
    return Numbers(got, "n").size() >= 1500;
  }, std::chrono::seconds(60));
  ASSERT_TRUE(Drain(std::chrono::seconds(60)));
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
  // Delivered before the drain, which does not wait for a sink in an outage.
  ASSERT_TRUE(driver_.RunUntil([&] {
    return !Grep(rsyslog_->Received(), announcement).empty() &&
           !Ending(rsyslog_->Received(), " n-2000").empty();
  }, std::chrono::seconds(60)))
      << rsyslog_->Received();
  ASSERT_TRUE(Drain(std::chrono::seconds(60)));
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
