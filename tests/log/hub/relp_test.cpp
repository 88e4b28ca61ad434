// The relp sink against rsyslog's imrelp (Debian rsyslog-relp), and the
// collector-crash scenario run over RELP and over plain TCP syslog side by
// side: RELP must lose nothing; plain TCP's loss is measured and printed
// (docs/LOGGING.md quotes it), never asserted.
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "collector_fixture.hpp"
#include "steward/log/sinks/relp.hpp"

namespace steward::testing {
namespace {

// A RELP collector that opens the session and refuses every record with
// `rsp 500`, as imrelp does when its ruleset cannot take a message. It
// serves one session at a time on 127.0.0.1:port, in a thread of its own.
class RefusingRelp {
 public:
  explicit RefusingRelp(uint16_t port) {
    listen_.Reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(0, bind(listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a));
    EXPECT_EQ(0, listen(listen_.get(), 4));
    thread_ = std::thread([this] { Serve(); });
  }
  ~RefusingRelp() {
    stop_ = true;
    thread_.join();
  }
  int refused() const { return refused_; }

 private:
  // Waits up to 50 ms for fd to be readable, so that stop_ is seen.
  bool Readable(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 50) == 1;
  }
  void Answer(int fd, uint32_t txnr, const std::string& data) {
    std::string out;
    log::relp::AppendFrame(txnr, "rsp", data, &out);
    (void)!send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }
  void Serve() {
    while (!stop_) {
      if (!Readable(listen_.get())) continue;
      UniqueFd c(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      log::relp::Reader reader;
      char buf[65536];
      while (!stop_ && c) {
        if (!Readable(c.get())) continue;
        ssize_t n = recv(c.get(), buf, sizeof buf, 0);
        std::vector<log::relp::Frame> frames;
        std::string err;
        if (n <= 0 || !reader.Feed(std::string_view(buf, size_t(n)), &frames, &err)) break;
        for (const log::relp::Frame& f : frames) {
          if (f.command == "open") {
            Answer(c.get(), f.txnr, "200 OK\nrelp_version=0\ncommands=syslog");
          } else if (f.command == "syslog") {
            ++refused_;
            Answer(c.get(), f.txnr, "500 not accepted here");
          } else {
            Answer(c.get(), f.txnr, "200 OK");
          }
        }
      }
    }
  }

  UniqueFd listen_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> refused_{0};
};

// Sum of N over the lines `steward: warning: central: dropped N records`.
uint64_t DroppedAnnounced(const std::string& text) {
  uint64_t sum = 0;
  const std::string prefix = "steward: warning: central: dropped ";
  for (const std::string& l : Grep(text, prefix)) sum += std::stoull(l.substr(l.find(prefix) + prefix.size()));
  return sum;
}

class LogRelpTest : public CollectorTest {
 protected:
  // Three services write `count` numbered lines each as fast as they can
  // while the collector is SIGKILLed `kills` times mid-stream (each time a
  // further part of the lines has arrived) and restarted 300 ms later.
  struct Crash {
    int missing = 0, duplicates = 0;
    size_t reconnects = 0;  // "connected to" messages: one after each outage
    std::string order;  // "" when the first appearances are in order
  };
  Crash CrashScenario(const SinkConfig& sink, const std::string& inputs, int count, int kills) {
    std::string err;
    EXPECT_TRUE(collector_->Start("", inputs, &err)) << err;
    cfg_.sinks = {sink};
    StartHub();
    const std::vector<std::string> prefixes = {"a", "b", "c"};
    std::vector<pid_t> writers;
    for (const std::string& p : prefixes) {
      Fds f = Attach("writer" + std::to_string(writers.size() + 1));
      writers.push_back(WriteLines(f.out, p, count, 0, 50));
    }
    int total = 3 * count;
    for (int k = 1; k <= kills; ++k) {
      int target = total * k / (kills + 2);
      driver_.RunUntil([&] { return int(collector_->ReceivedLines().size()) >= target; },
                       std::chrono::seconds(60));
      collector_->Kill();
      driver_.RunFor(std::chrono::milliseconds(300));
      EXPECT_TRUE(collector_->Start("", inputs, &err)) << err;
    }
    WaitAll(writers);
    // Connected again before the drain, which does not wait for a sink in
    // an outage (its records would stay in the spool).
    driver_.RunUntil([&] { return hub_->Problem("central").empty(); }, std::chrono::seconds(60));
    EXPECT_TRUE(Drain(std::chrono::seconds(120)));
    // Give rsyslog time to write what it received (plain TCP can't tell
    // when that is; RELP's last answer came after the write).
    std::vector<std::string> got = WaitReceived(prefixes, count, std::chrono::seconds(10));
    Crash c;
    c.reconnects = Grep(Stderr(), "central: connected to").size();
    for (const std::string& p : prefixes) {
      std::vector<int> n = Numbers(got, p);
      Tally t = Count(n, count);
      c.missing += t.missing;
      c.duplicates += t.duplicates;
      if (t.missing == 0 && c.order.empty()) c.order = CheckSequence(n, count, true);
    }
    return c;
  }
};

TEST_F(LogRelpTest, ImrelpGetsEveryLineExactlyOnceInOrder) {
  std::string err;
  ASSERT_TRUE(collector_->Start("", ImrelpInput(), &err)) << err;
  cfg_.sinks = {Sink(SinkConfig::Type::kRelp, "tcp")};
  cfg_.sinks[0].window = 16;  // several windows' worth, answers interleaved with sends
  StartHub();
  Fds web = Attach("web"), db = Attach("db");
  hub_->SetPid("web", 321);
  WaitAll({WriteLines(web.out, "wo", 3000), WriteLines(web.err, "we", 3000),
           WriteLines(db.out, "do", 3000)});
  ASSERT_TRUE(Drain());
  // Drained means answered, and rsyslog answers after writing.
  std::vector<std::string> got = collector_->ReceivedLines();
  EXPECT_EQ(9000u, got.size());
  for (const char* p : {"wo", "we", "do"}) EXPECT_EQ("", CheckSequence(Numbers(got, p), 3000, false)) << p;
  // RFC 5424 inside the syslog command: <daemon.info>1 TIME HOST web 321 stdout - wo-1
  ASSERT_FALSE(got.empty());
  auto first = std::find_if(got.begin(), got.end(), [](const std::string& l) {
    return l.size() > 5 && l.compare(l.size() - 5, 5, " wo-1") == 0;
  });
  ASSERT_NE(got.end(), first);
  EXPECT_EQ(0u, first->find("<30>1 20")) << *first;
  EXPECT_NE(std::string::npos, first->find(" web 321 stdout - wo-1")) << *first;
  EXPECT_EQ(0u, hub_->Dropped("central"));
  EXPECT_EQ("", hub_->Problem("central"));
}

TEST_F(LogRelpTest, CollectorDownThenUpGetsTheBacklog) {
  cfg_.sinks = {Sink(SinkConfig::Type::kRelp, "tcp")};  // nobody listens yet
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 2000)});
  driver_.RunUntil([&] { return !hub_->Problem("central").empty(); }, std::chrono::seconds(10));
  EXPECT_NE(std::string::npos, hub_->Problem("central").find("Connection refused")) << hub_->Problem("central");
  std::string err;
  ASSERT_TRUE(collector_->Start("", ImrelpInput(), &err)) << err;
  // Delivered before the drain, which does not wait for a sink in an outage.
  WaitReceived({"n"}, 2000);
  ASSERT_TRUE(Drain());
  EXPECT_EQ("", CheckSequence(Numbers(collector_->ReceivedLines(), "n"), 2000, false));
  EXPECT_EQ(1u, Grep(Stderr(), "central: cannot connect to").size()) << Stderr();
  EXPECT_EQ(1u, Grep(Stderr(), "central: connected to").size()) << Stderr();
  driver_.RunUntil([&] { return hub_->Problem("central").empty(); }, std::chrono::seconds(10));
  EXPECT_EQ("", hub_->Problem("central"));
}

TEST_F(LogRelpTest, NotAnImrelpPortIsAClearFailure) {
  std::string err;
  // imtcp answers nothing to RELP's open.
  ASSERT_TRUE(collector_->Start("", ImtcpInput(), &err)) << err;
  cfg_.sinks = {Sink(SinkConfig::Type::kRelp, "tcp")};
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 10)});
  ASSERT_TRUE(driver_.RunUntil([&] { return !Grep(Stderr(), "central: RELP: no answer to open").empty(); },
                               std::chrono::seconds(30)))
      << Stderr();
}

// A collector refusing every record: each one is dropped for this sink and
// counted (the next goes on), and the refusal is announced once for its
// cause, not once per record (1,089 warnings for 1,089 records before).
TEST_F(LogRelpTest, CollectorRefusingEveryRecordIsAnnouncedOnceWithACount) {
  RefusingRelp collector(collector_->port());
  cfg_.sinks = {Sink(SinkConfig::Type::kRelp, "tcp")};
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 1089)});
  ASSERT_TRUE(driver_.RunUntil([&] { return DroppedAnnounced(Stderr()) >= 1089; },
                               std::chrono::seconds(30)))
      << Stderr() << collector.refused() << " refused; problem: " << hub_->Problem("central");
  EXPECT_EQ(1089, collector.refused());
  EXPECT_EQ(1089u, DroppedAnnounced(Stderr())) << Stderr();
  EXPECT_EQ((std::vector<std::string>{
                "steward: warning: central: the collector refused a record: 500 not accepted "
                "here; refused records are dropped for this sink and counted"}),
            Grep(Stderr(), "refused a record"))
      << Stderr();
  ASSERT_TRUE(driver_.RunUntil([&] { return hub_->Dropped("central") == 1089; }))
      << hub_->Dropped("central");
}

// Spool overflow as for the other network sinks: counted, announced in the
// stream, and the newest records (with the announcement) delivered later.
TEST_F(LogRelpTest, TinyBufferWithCollectorDownDropsOldestAndAnnounces) {
  SinkConfig central = Sink(SinkConfig::Type::kRelp, "tcp");  // nobody listens yet
  central.buffer = 4096;
  cfg_.sinks = {central};
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 2000)});
  ASSERT_TRUE(driver_.RunUntil([&] { return hub_->Dropped("central") > 1500; })) << hub_->Dropped("central");
  const std::string prefix = "steward: warning: central: dropped ";
  ASSERT_TRUE(driver_.RunUntil([&] { return !Grep(Stderr(), prefix).empty(); })) << Stderr();
  std::string err;
  ASSERT_TRUE(collector_->Start("", ImrelpInput(), &err)) << err;
  // Delivered before the drain, which does not wait for a sink in an outage.
  ASSERT_TRUE(driver_.RunUntil([&] {
    std::vector<int> n = Numbers(collector_->ReceivedLines(), "n");
    return !n.empty() && n.back() == 2000;
  }, std::chrono::seconds(60)));
  ASSERT_TRUE(Drain());
  std::vector<std::string> got = collector_->ReceivedLines();
  EXPECT_FALSE(Grep(ReadFile(dir_ / "got.log"), prefix).empty());
  std::vector<int> n = Numbers(got, "n");
  ASSERT_FALSE(n.empty());
  EXPECT_EQ(2000, n.back());  // the newest survive
  EXPECT_LT(n.size(), 500u);
  for (size_t i = 1; i < n.size(); ++i) EXPECT_LT(n[i - 1], n[i]);
}

constexpr int kCrashLines = 20000;
constexpr int kCrashKills = 3;

TEST_F(LogRelpTest, CollectorKilledRepeatedlyLosesNothingOverRelp) {
  Crash c = CrashScenario(Sink(SinkConfig::Type::kRelp, "tcp"), ImrelpInput(), kCrashLines, kCrashKills);
  std::cout << fmt::format("relp: {} lines x 3 streams, collector SIGKILLed {} times: {} lost, {} duplicates\n",
                           kCrashLines, kCrashKills, c.missing, c.duplicates);
  RecordProperty("lost", c.missing);
  RecordProperty("duplicates", c.duplicates);
  EXPECT_EQ(size_t(kCrashKills), c.reconnects) << Stderr();  // each kill broke a live session
  EXPECT_EQ(0, c.missing);
  EXPECT_EQ("", c.order);
  EXPECT_EQ(0u, hub_->Dropped("central"));
}

// The same scenario over plain TCP syslog: measured, not asserted.
TEST_F(LogRelpTest, CollectorKilledRepeatedlyOverPlainTcpMeasuresLoss) {
  Crash c = CrashScenario(Sink(SinkConfig::Type::kSyslog, "tcp"), ImtcpInput(), kCrashLines, kCrashKills);
  std::cout << fmt::format("tcp syslog: {} lines x 3 streams, collector SIGKILLed {} times: {} lost ({:.2f}%), "
                           "{} duplicates\n",
                           kCrashLines, kCrashKills, c.missing, 100.0 * c.missing / (3 * kCrashLines),
                           c.duplicates);
  RecordProperty("lost", c.missing);
  RecordProperty("duplicates", c.duplicates);
  EXPECT_LT(c.missing, 3 * kCrashLines);  // something arrived at all
}

}  // namespace
}  // namespace steward::testing
