// Faults aimed at PID 1 itself, against the real binary in a PID namespace:
// 10,000 orphans, a service forking until its RLIMIT_NPROC, a 64 MiB line,
// control socket floods and garbage. After each, PID 1's VmRSS must stay
// within a generous bound of where it started (the figures are printed).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "fault_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr long kRssSlackKiB = 8 << 10;  // generous: PID 1 holds no per-line state

void ReportRss(const char* scenario, long before, long after) {
  std::cout << "VmRSS of PID 1, " << scenario << ": before " << before << " KiB, after " << after
            << " KiB\n";
  EXPECT_LT(after, before + kRssSlackKiB * kRssScale) << scenario;
}

// Children of steward that are zombies: orphans not reaped.
int Zombies(pid_t steward) {
  int n = 0;
  for (pid_t c : Children(steward)) n += IsZombie(c);
  return n;
}

TEST(FaultPid1, TenThousandOrphansAreAllReaped) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  set.Add("maker", fmt::format("command = [\"/bin/sh\", \"-c\", \"sleep 0.5; {} orphans 10000; exec sleep 100\"]\n",
                               STEWARD_TEST_HELPER));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return ForwarderOf(p.pid()) > 0; })) << p.Stderr();
  long before = RssKiB(p.pid());
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("orphaned 10000") != std::string::npos; }, seconds(240)))
      << p.Stdout().substr(0, 500) << p.Stderr();
  // Every orphan exits 2 ms after it is made; none may stay a zombie.
  ASSERT_TRUE(WaitFor([&] { return Zombies(p.pid()) == 0 && Children(p.pid()).size() <= 2; }, seconds(30)))
      << Children(p.pid()).size() << " children left";
  ReportRss("10,000 orphans", before, RssKiB(p.pid()));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

TEST(FaultPid1, ServiceForkingUntilItsProcessLimitLeavesStewardResponsive) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  // RLIMIT_NPROC holds for an unprivileged user (root is exempt).
  set.Add("bomb", fmt::format("command = [\"{}\", \"forkbomb\", \"100000\"]\nuser = \"nobody\"\n"
                              "limits = {{ nproc = 48 }}\nstop_grace_period = \"2s\"\n",
                              STEWARD_TEST_HELPER));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return ForwarderOf(p.pid()) > 0; })) << p.Stderr();
  long before = RssKiB(p.pid());
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("bomb | forked ") != std::string::npos; }, seconds(60)))
      << p.Stdout() << p.Stderr();
  EXPECT_NE(std::string::npos, p.Stdout().find("(Resource temporarily unavailable)")) << p.Stdout();
  CtlResult st = RunCtl(set.path("run"), {"status", "bomb"});
  EXPECT_EQ(0, st.code) << st.err;
  EXPECT_NE(std::string::npos, st.out.find("bomb")) << st.out;
  ReportRss("fork until RLIMIT_NPROC", before, RssKiB(p.pid()));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait(seconds(60)));  // the whole group stopped, nothing left
  ExpectNoSanitizerReport(p);
}

TEST(FaultPid1, A64MiBLineIsCutIntoRecordsAndNothingGrows) {
  LogSet set;
  set.Global("console = \"off\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}.log\"\n"
             "rotate_size = \"1GiB\"\n");  // one file: the default 10 MiB x 5 would rotate lines out
  set.Add("big", "command = [\"/bin/sh\", \"-c\", \"sleep 0.5; head -c 67108864 /dev/zero | tr '\\\\0' x; "
                 "echo; echo after-big; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return ForwarderOf(p.pid()) > 0; })) << p.Stderr();
  long before = RssKiB(p.pid());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(set.path("logs/big.log")).find(" after-big\n") != std::string::npos; },
                      seconds(240)))
      << p.Stderr();
  std::string text = ReadFile(set.path("logs/big.log"));
  std::vector<std::string> lines = Lines(text);
  // 64 MiB / 16 KiB (log.max_line): 4096 records, then the next line.
  ASSERT_EQ(4097u, lines.size());
  size_t xs = 0;
  for (size_t i = 0; i < 4096; ++i) {
    size_t at = lines[i].find(" big stdout ");
    ASSERT_NE(std::string::npos, at) << i;
    EXPECT_EQ(16384u, lines[i].size() - at - 12) << i;
    xs += lines[i].size() - at - 12;
  }
  EXPECT_EQ(size_t(64) << 20, xs);
  ReportRss("64 MiB line", before, RssKiB(p.pid()));
  pid_t fwd = ForwarderOf(p.pid());
  long fwd_rss = RssKiB(fwd);
  std::cout << "VmRSS of the forwarder after the 64 MiB line: " << fwd_rss << " KiB\n";
  EXPECT_LT(fwd_rss, (48L << 10) * kRssScale);  // never holds the line whole
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

int Connect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path.c_str(), path.size());
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(FaultPid1, ControlSocketFloodsAndGarbageAreBounded) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  set.Add("web", "command = [\"sleep\", \"100\"]\n");
  Process p(set.Args());
  std::string sock = set.path("run/control.sock");
  ASSERT_TRUE(WaitFor([&] { return Exists(sock) && RunCtl(set.path("run"), {"status"}).code == 0; }))
      << p.Stderr();
  long before = RssKiB(p.pid());
  // 1. Garbage: wrong magic, binary, a request past 64 KiB, one without its end.
  std::string big(200 << 10, 'A');
  for (const std::string& junk : {std::string("GET / HTTP/1.0\r\n\r\n"), std::string("\0\0\0\0", 4),
                                  std::string("steward-ctl/1\0", 14) + big, std::string("steward-ctl/1\0status", 20)}) {
    for (int i = 0; i < 50; ++i) {
      int fd = Connect(sock);
      ASSERT_GE(fd, 0) << strerror(errno);
      (void)!send(fd, junk.data(), junk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (i % 2) shutdown(fd, SHUT_WR);
      close(fd);
    }
  }
  // 2. A flood of idle connections held open: more than the cap.
  std::vector<int> held;
  for (int i = 0; i < 200; ++i) {
    int fd = Connect(sock);
    if (fd >= 0) held.push_back(fd);
  }
  // Garbage connections of step 1 may still have held slots while the
  // flood came (those held ones were refused); as they close, slots free:
  // hold one more each time until all 16 are ours and steward says so.
  CtlResult busy;
  EXPECT_TRUE(WaitFor([&] {
    int fd = Connect(sock);
    if (fd >= 0) held.push_back(fd);
    busy = RunCtl(set.path("run"), {"status"});
    return (busy.out + busy.err).find("steward is busy: 16 control connections are open") !=
           std::string::npos;
  })) << busy.code << busy.out << busy.err;
  for (int fd : held) close(fd);
  // 3. Once they are gone, steward answers again, and stayed small.
  CtlResult st;
  ASSERT_TRUE(WaitFor([&] { return (st = RunCtl(set.path("run"), {"status"})).code == 0; })) << st.err;
  EXPECT_NE(std::string::npos, st.out.find("web")) << st.out;
  ReportRss("control floods and garbage", before, RssKiB(p.pid()));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
