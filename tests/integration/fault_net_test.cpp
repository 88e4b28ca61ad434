// A collector that accepts and then resets every connection, against the
// real binary as PID 1: the network sink reconnects with back-off, the
// forwarder survives, the other sinks and the services are not held, and
// once the collector behaves every later line arrives. (Lines the
// collector's kernel acknowledged before the reset threw them away are
// beyond plain TCP syslog's reach: that is what RELP is for, see
// docs/LOGGING.md "Limits"; the test reports how many.)
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "fault_support.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::seconds;

// Listens on 127.0.0.1:port. While `resetting`, each connection is accepted
// and closed with SO_LINGER 0 (a TCP RST); afterwards it keeps what it reads.
class ResettingCollector {
 public:
  ResettingCollector() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<struct sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    listen(fd_, 64);
    thread_ = std::thread([this] { Run(); });
  }
  ~ResettingCollector() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  int resets() const { return resets_; }
  std::atomic<bool> resetting{true};
  std::string Received() {
    std::lock_guard<std::mutex> l(mu_);
    return got_;
  }

 private:
  void Run() {
    std::vector<int> conns;
    while (!stop_) {
      std::vector<struct pollfd> fds = {{fd_, POLLIN, 0}};
      for (int c : conns) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0 && resetting) {
          struct linger lg = {1, 0};
          setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          close(c);
          ++resets_;
        } else if (c >= 0) {
          conns.push_back(c);
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buf[65536];
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          std::lock_guard<std::mutex> l(mu_);
          got_.append(buf, size_t(n));
        }
      }
    }
    for (int c : conns) close(c);
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> resets_{0};
  std::thread thread_;
  std::mutex mu_;
  std::string got_;
};

TEST(FaultNet, CollectorResettingEveryConnectionHoldsNothingElseAndRecovers) {
  ResettingCollector collector;
  LogSet set;
  set.Global(fmt::format(
      "console = \"prefixed\"\n"
      "[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\nurl = \"tcp://127.0.0.1:{}\"\nframing = \"lf\"\n"
      "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{{service}}.log\"\n",
      collector.port()));
  const int n = 1000;
  set.Add("app", fmt::format("command = [\"/bin/sh\", \"-c\", \"i=0; while [ $$i -lt {0} ]; do i=$$((i+1)); "
                             "echo c-$$i; done; while [ ! -e @DIR/go ]; do sleep 0.05; done; i=0; "
                             "while [ $$i -lt {0} ]; do i=$$((i+1)); echo d-$$i; done; exec sleep 1000\"]\n", n));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return ForwarderOf(p.pid()) > 0; })) << p.Stderr();
  pid_t fwd = ForwarderOf(p.pid());
  long before = RssKiB(p.pid());
  // The console and the file get everything while the collector resets.
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find(fmt::format("app | c-{}\n", n)) != std::string::npos; }))
      << p.Stderr();
  ASSERT_TRUE(WaitFor([&] { return ReadFile(set.path("logs/app.log")).find(fmt::format(" c-{}\n", n)) != std::string::npos; }));
  ASSERT_TRUE(WaitFor([&] { return collector.resets() >= 3; }, seconds(60))) << collector.resets();
  collector.resetting = false;
  WriteFile(set.path("go"), "");
  ASSERT_TRUE(WaitFor([&] { return Numbers(Lines(collector.Received()), "d").size() >= size_t(n); }, seconds(90)))
      << Numbers(Lines(collector.Received()), "d").size() << "\n" << p.Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(collector.Received()), "d"), n, true));
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(set.path("logs/app.log"))), "d"), n, false));
  EXPECT_GE(Grep(p.Stderr(), "central: connection to").size() + Grep(p.Stderr(), "central: cannot connect").size(), 1u);
  std::cout << "connections reset: " << collector.resets() << "; lines written before the collector behaved "
            << "that reached it: " << Numbers(Lines(collector.Received()), "c").size() << " of " << n << "\n";
  EXPECT_EQ(fwd, ForwarderOf(p.pid())) << "the forwarder died";
  long after = RssKiB(p.pid());
  std::cout << "VmRSS of PID 1, collector resetting: before " << before << " KiB, after " << after << " KiB\n";
  EXPECT_LT(after, before + (8L << 10) * kRssScale);
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
