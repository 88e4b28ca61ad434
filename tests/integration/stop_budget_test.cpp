// What a user waits for at `docker stop` (issue 19), against the real binary
// as PID 1: a collector that is down is not waited for (its records stay in
// the spool), a readiness timeout stops the service gracefully, and the
// whole stop fits in shutdown_timeout even with a longer stop_grace_period.
// Times are printed and bounded generously; no test asserts a speed.
#include <signal.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdio>

#include "fault_support.hpp"
#include "supervisor_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;
using supervised::SecondsSince;

// Issue 19.2: a syslog and a RELP sink whose collector is down (nothing
// listens in this network namespace): the stop does not wait for them.
TEST(StopBudget, ACollectorThatIsDownIsNotWaitedFor) {
  LogSet set;
  set.Global(
      "[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\nurl = \"tcp://127.0.0.1:6514\"\n"
      "[[log.sink]]\nname = \"reliable\"\ntype = \"relp\"\nurl = \"tcp://127.0.0.1:2514\"\n");
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"echo hello-collector; exec sleep 1000\"]\n");
  std::vector<std::string> args = set.Args();
  args.back() = "20s";  // --shutdown-timeout: docker stop would SIGKILL at 10 s
  RunOptions o;
  o.new_net_namespace = true;
  Process p(args, o);
  ASSERT_TRUE(WaitFor([&] {
    std::string err = p.Stderr();
    return err.find("central: cannot connect to") != std::string::npos &&
           err.find("reliable: cannot connect to") != std::string::npos &&
           p.Stdout().find("hello-collector") != std::string::npos;
  })) << p.Stderr();
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(60))) << p.Stderr();
  double took = SecondsSince(t0);
  std::printf("stop with the collector down took %.3f s (shutdown_timeout 20s)\n", took);
  EXPECT_LT(took, 10.0) << p.Stderr();
  std::string err = p.Stderr();
  EXPECT_EQ(0u, Grep(err, "shutdown deadline reached").size()) << err;
  for (const char* sink : {"central", "reliable"}) {
    std::string spool = set.path(fmt::format("run/log/{}.spool", sink));
    EXPECT_EQ(1u, Grep(err, fmt::format("{}: not waited for at shutdown (", sink)).size()) << err;
    EXPECT_EQ(1u, Grep(err, fmt::format("records stay in {}", spool)).size()) << err;
    EXPECT_NE(std::string::npos, ReadFile(spool).find("hello-collector")) << sink;
  }
}

// Issue 19.3: not ready in time, a service gets its stop signal and its
// grace (a database in crash recovery), not SIGKILL at once.
TEST(StopBudget, ReadinessTimeoutSendsTheStopSignalBeforeSigkill) {
  supervised::Set set;
  set.Add("db", "command = \"\"\"\ntrap 'echo term >> @LOG' TERM\necho start >> @LOG\n"
                "while :; do sleep 1 & wait $$!; done\n\"\"\"\n"
                "restart = \"no\"\nstop_grace_period = \"1s\"\n"
                "[ready]\nfile = \"@DIR/never\"\ntimeout = \"500ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Grep(p.Stderr(), "db: failed for good").size() == 1; }))
      << p.Stderr();
  std::string err = p.Stderr();
  EXPECT_EQ(1u, Grep(err, "db: not ready after 500ms; steward is stopping it (SIGTERM, SIGKILL "
                          "after 1s) and counts it as a failed start").size())
      << err;
  EXPECT_TRUE(set.Has("term")) << "the service never saw SIGTERM";
  EXPECT_EQ(1u, Grep(err, "db: still running 1s after SIGTERM; sending SIGKILL").size()) << err;
  EXPECT_EQ(1u, Grep(err, "db: failed for good: killed by SIGKILL").size()) << err;
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

// Issue 19.11: a stop_grace_period longer than shutdown_timeout is
// shortened, with one warning; steward is out before the engine's SIGKILL.
TEST(StopBudget, ALongGraceIsShortenedToFitTheShutdownTimeout) {
  supervised::Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"20s\"\n");
  set.Add("quick", "command = \"exec sleep 1000\"\nstop_grace_period = \"1s\"\n");
  Process p(set.Args({"--shutdown-timeout", "3s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); })) << p.Stderr();
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(30))) << p.Stderr();
  double took = SecondsSince(t0);
  std::printf("stop of a 20s grace under shutdown_timeout 3s took %.3f s\n", took);
  EXPECT_LT(took, 6.0);  // the 3s budget, with room for a loaded machine
  std::string err = p.Stderr();
  std::vector<std::string> warned = Grep(err, "stop_grace_period of");
  ASSERT_EQ(1u, warned.size()) << err;  // stubborn only: quick's 1s fits
  EXPECT_NE(std::string::npos, warned[0].find("stubborn: stop_grace_period of 20s shortened to "));
  EXPECT_NE(std::string::npos,
            warned[0].find(": the whole stop must fit in shutdown_timeout (3s)"));
}

}  // namespace
}  // namespace steward::testing
