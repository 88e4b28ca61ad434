// The log pipeline end to end: the real static steward as PID 1 in a fresh
// PID namespace, services writing to their stdout and stderr, a real
// rsyslog on loopback, the console read back from steward's own stdout.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <thread>

#include "harness.hpp"
#include "log_set.hpp"
#include "collector.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LogEndToEnd, ConsoleIsPrefixedAndShutdownDrainsEveryLine) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  // Writes 3000 lines to stdout and stderr, then waits; on SIGTERM a last
  // line without a newline.
  set.Add("web", "command = [\"/bin/sh\", \"-c\", \"trap 'printf goodbye; exit 0' TERM; " +
                     NumberedLines("out", 3000, 1000) + "; " + NumberedLines("err", 3000, 1000) +
                     " >&2; while :; do sleep 0.05; done\"]\n");
  set.Add("db", "command = [\"/bin/sh\", \"-c\", \"echo db ready; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("err-3000") != std::string::npos &&
                                   p.Stdout().find("db ready") != std::string::npos; }))
      << p.Stdout().substr(0, 300) << p.Stderr();
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  std::vector<std::string> lines = Lines(p.Stdout());
  EXPECT_EQ("", CheckSequence(Numbers(lines, "out"), 3000, false));
  EXPECT_EQ("", CheckSequence(Numbers(lines, "err"), 3000, false));
  EXPECT_EQ(1u, Grep(p.Stdout(), "web | out-3000").size()) << p.Stdout().substr(0, 200);
  EXPECT_EQ(1u, Grep(p.Stdout(), "| db ready").size());
  // The last line, without its newline, written while stopping.
  EXPECT_EQ(1u, Grep(p.Stdout(), "web | goodbye").size()) << p.Stderr();
  ExpectNoSanitizerReport(p);
}

TEST(LogEndToEnd, ForwarderKilledInsideTheContainerLosesNothing) {
  LogSet set;
  mkdir(set.path("rsl").c_str(), 0755);
  Rsyslog rsyslog(set.path("rsl"));
  std::string err;
  ASSERT_TRUE(rsyslog.Start(&err)) << err;
  set.Global(fmt::format(
      "console = \"json\"\n"
      "[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\nurl = \"tcp://127.0.0.1:{}\"\n"
      "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{{service}}.log\"\n",
      rsyslog.port()));
  const int n = 20000;
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"" + NumberedLines("a", n, 200) +
                     "; exec sleep 100\"]\n");
  Process p(set.Args());
  for (int k = 0; k < 3; ++k) {
    pid_t fwd = 0;
    ASSERT_TRUE(WaitFor([&] { return (fwd = ForwarderOf(p.pid())) > 0; })) << p.Stderr();
    // Mid-stream: lines keep arriving through this forwarder.
    size_t before = Lines(ReadFile(set.path("logs/app.log"))).size();
    WaitFor([&] {
      return Lines(ReadFile(set.path("logs/app.log"))).size() > before + 100 ||
             p.Stdout().find(fmt::format("\"a-{}\"", n)) != std::string::npos;
    });
    kill(fwd, SIGKILL);
    ASSERT_TRUE(WaitFor([&] { pid_t f = ForwarderOf(p.pid()); return f > 0 && f != fwd; })) << p.Stderr();
  }
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find(fmt::format("\"a-{}\"", n)) != std::string::npos; },
                      seconds(60)));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  EXPECT_EQ("", CheckSequence(Numbers(Lines(p.Stdout()), "a"), n, true)) << "console";
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(set.path("logs/app.log"))), "a"), n, true)) << "file";
  std::vector<std::string> central;
  WaitFor([&] {
    central = rsyslog.ReceivedLines();
    return Numbers(central, "a").size() >= size_t(n);
  });
  EXPECT_EQ("", CheckSequence(Numbers(central, "a"), n, true)) << "rsyslog";
  EXPECT_GE(Grep(p.Stderr(), "log forwarder").size(), 3u) << p.Stderr();
  ExpectNoSanitizerReport(p);
}

TEST(LogEndToEnd, SyslogFromInsideTheContainerIsCaptured) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  set.Add("cron", "command = [\"/bin/sh\", \"-c\", \"logger -u @DIR/dev-log -t cronjob job ran; "
                  "exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("job ran") != std::string::npos; })) << p.Stderr();
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait());
  EXPECT_EQ(1u, Grep(p.Stdout(), "cronjob | job ran").size()) << p.Stdout();
  EXPECT_FALSE(Exists(set.path("dev-log")));  // removed at exit
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
