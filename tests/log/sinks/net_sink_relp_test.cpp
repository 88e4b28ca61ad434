// A relp NetSink against a scripted collector on loopback, in-process: the
// opening, answers in order, a refused record, and a session that breaks
// with transactions unanswered (they are sent again, in order).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "steward/log/sinks/net_sink.hpp"
#include "steward/log/sinks/relp.hpp"

namespace steward::log {
namespace {

class RelpCollector {
 public:
  RelpCollector() {
    listen_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa = {};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    EXPECT_EQ(0, bind(listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa));
    EXPECT_EQ(0, listen(listen_.get(), 4));
    getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
  }
  int port() const { return port_; }

  // Turns the loop until the collector has a frame (accepting a new
  // session when needed); false after 5 s.
  bool Next(struct ev_loop* loop, relp::Frame* out) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < until) {
      if (!frames_.empty()) {
        *out = frames_.front();
        frames_.erase(frames_.begin());
        return true;
      }
      ev_run(loop, EVRUN_NOWAIT);
      pollfd p{conn_ ? conn_.get() : listen_.get(), POLLIN, 0};
      if (poll(&p, 1, 10) <= 0) continue;
      if (!conn_) {
        conn_ = UniqueFd(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        reader_.Reset();
        continue;
      }
      char buf[4096];
      ssize_t n = read(conn_.get(), buf, sizeof buf);
      std::string err;
      if (n <= 0 || !reader_.Feed(std::string_view(buf, size_t(n)), &frames_, &err)) conn_.Reset();
    }
    return false;
  }
  void Answer(uint32_t txnr, const std::string& rsp) {
    std::string frame;
    relp::AppendFrame(txnr, "rsp", rsp, &frame);
    ASSERT_EQ(ssize_t(frame.size()), write(conn_.get(), frame.data(), frame.size()));
  }
  void Drop() { conn_.Reset(); }

 private:
  UniqueFd listen_, conn_;
  int port_ = 0;
  relp::Reader reader_;
  std::vector<relp::Frame> frames_;
};

// Turns the loop until done() or 5 s have passed.
template <class F>
void Turn(struct ev_loop* loop, F done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < until) {
    ev_run(loop, EVRUN_NOWAIT);
    usleep(1000);
  }
}

std::string Line(const relp::Frame& f) { return f.data.substr(f.data.rfind(' ') + 1); }

TEST(NetSinkRelp, AnsweredRecordsLeaveTheSpoolAndUnansweredOnesAreSentAgain) {
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  RelpCollector collector;
  SinkConfig c;
  c.name = "central";
  c.type = SinkConfig::Type::kRelp;
  c.url = "tcp://127.0.0.1:" + std::to_string(collector.port());
  Endpoint ep;
  std::string err;
  ASSERT_TRUE(ParseEndpoint(c.url, &ep, &err)) << err;
  {
    NetSink sink(loop, 0, c, ep, "box", [](Sink*) {});
    ASSERT_TRUE(sink.OpenSpool(UniqueFd(memfd_create("spool", MFD_CLOEXEC)), &err)) << err;
    sink.Start();
    relp::Frame f;
    ASSERT_TRUE(collector.Next(loop, &f));
    EXPECT_EQ(1u, f.txnr);
    EXPECT_EQ("open", f.command);
    collector.Answer(1, "200 OK");
    Record r;
    r.service = "web";
    for (const char* line : {"one", "two", "three"}) {
      r.line = line;
      sink.Add(r, "web");
    }
    EXPECT_TRUE(sink.Flush());
    std::vector<std::string> got;
    for (uint32_t txnr = 2; txnr <= 4; ++txnr) {
      ASSERT_TRUE(collector.Next(loop, &f));
      EXPECT_EQ(txnr, f.txnr);
      EXPECT_EQ("syslog", f.command);
      got.push_back(Line(f));
    }
    EXPECT_EQ((std::vector<std::string>{"one", "two", "three"}), got);
    collector.Answer(2, "200 OK");
    collector.Answer(3, "500 not today");
    Turn(loop, [&] { return sink.Undelivered() <= 1; });
    EXPECT_EQ(1u, sink.Undelivered());  // "three" is unanswered
    EXPECT_EQ(1u, sink.rejected());
    // The session breaks: "three" is sent again on the next one, first.
    collector.Drop();
    ASSERT_TRUE(collector.Next(loop, &f));
    EXPECT_EQ("open", f.command);
    EXPECT_EQ("closed by the collector", sink.problem());
    collector.Answer(1, "200 OK");
    ASSERT_TRUE(collector.Next(loop, &f));
    EXPECT_EQ(2u, f.txnr);
    EXPECT_EQ("three", Line(f));
    collector.Answer(2, "200 OK");
    Turn(loop, [&] { return sink.Idle(); });
    EXPECT_TRUE(sink.Idle());
    EXPECT_EQ(0u, sink.Undelivered());
    EXPECT_EQ("", sink.problem());
  }
  ev_loop_destroy(loop);
}

}  // namespace
}  // namespace steward::log
