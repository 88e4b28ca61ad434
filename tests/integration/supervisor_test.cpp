// Services mode (SPEC §3-4) through the real binary as PID 1: start order
// and readiness gating, reverse stop, grace periods, exit statuses,
// restarts, signals, readiness and health (how a service runs:
// supervisor_service_test.cpp; the configuration: supervisor_config_test.cpp).
// Services record what happens in a shared log file;
// appends of one short line are atomic, so its order is the order of events.
#include "supervisor_support.hpp"

namespace steward::testing {
namespace {

using namespace supervised;

TEST(Supervisor, StartsInDependencyOrderAfterReadiness) {
  Set set;
  // db becomes ready, through a file, only once cron has started: were the
  // independent cron held back behind db, db would never be ready.
  set.Add("db", "command = \"echo start db >> @LOG; "
                "until grep -q 'start cron' @LOG; do sleep 0.05; done; sleep 0.2; "
                "echo db-ready >> @LOG; touch @DIR/db.ready; exec sleep 1000\"\n"
                "[ready]\nfile = \"@DIR/db.ready\"\n");
  set.Add("migrate", "type = \"oneshot\"\ndepends_on = [\"db\"]\n"
                     "command = \"echo start migrate >> @LOG; sleep 0.3; echo migrated >> @LOG\"\n");
  set.Add("app", Recorder("app", "depends_on = [\"migrate\", \"db\"]\n"));
  set.Add("web", Recorder("web", "depends_on = [\"app\"]\n"));
  set.Add("cron", Recorder("cron"));  // independent: starts at once
  Process p(set.Args({}, {"/bin/sh", "-c", "echo start main >> " + set.log()}));
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_LT(set.At("start db"), set.At("db-ready"));
  EXPECT_LT(set.At("db-ready"), set.At("start migrate"));
  EXPECT_LT(set.At("migrated"), set.At("start app"));
  EXPECT_LT(set.At("start app"), set.At("start web"));
  EXPECT_LT(set.At("start web"), set.At("start main"));
  EXPECT_LT(set.At("start cron"), set.At("db-ready"));
  EXPECT_GE(set.At("start cron"), 0);
}

TEST(Supervisor, StopsInReverseDependencyOrder) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("cache", Recorder("cache"));
  set.Add("app", Recorder("app", "depends_on = [\"db\", \"cache\"]\n"));
  set.Add("web", Recorder("web", "depends_on = [\"app\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web"); })) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_LT(set.At("stop web"), set.At("stop app"));
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_LT(set.At("stop app"), set.At("stop cache"));
}

TEST(Supervisor, ServiceIgnoringTermIsKilledAfterItsGraceNotBefore) {
  Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"1500ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_GE(SecondsSince(t0), 1.5);
  EXPECT_EQ(1u, Grep(p.Stderr(), "stubborn: still running 1.5s after SIGTERM; sending SIGKILL").size())
      << p.Stderr();
}

TEST(Supervisor, StopReturnsAsSoonAsEverythingExited) {
  Set set;
  for (int i = 0; i < 6; ++i) {
    std::string n = "s" + std::to_string(i);
    set.Add(n, Recorder(n, i > 0 ? "depends_on = [\"s" + std::to_string(i - 1) + "\"]\n"
                                   "stop_grace_period = \"30s\"\n"
                                 : "stop_grace_period = \"30s\"\n"));
  }
  Process p(set.Args({"--grace", "30s", "--shutdown-timeout", "60s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start s5"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(50)));
  // Far below any grace: nothing waited for a timer.
  EXPECT_LT(SecondsSince(t0), 20.0);
  std::printf("stop of a 6-deep chain took %.3f s\n", SecondsSince(t0));
}

TEST(Supervisor, SecondTermKillsAtOnce) {
  Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"60s\"\n");
  Process p(set.Args({"--shutdown-timeout", "90s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  // Two SIGTERMs pending at once are one: the second is sent only once
  // steward has taken the first.
  ASSERT_TRUE(WaitFor([&] { return p.Stderr().find("stopping: received SIGTERM") != std::string::npos; }));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(50)));
  EXPECT_LT(SecondsSince(t0), 40.0);
  EXPECT_EQ(1u, Grep(p.Stderr(), "received SIGTERM again; killing everything now").size());
}

TEST(Supervisor, ShutdownTimeoutKillsWhatIsLeft) {
  Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"60s\"\n");
  Process p(set.Args({"--shutdown-timeout", "1s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(50)));
  // SIGKILL once the budget but the drain's quarter of it is spent.
  EXPECT_GE(SecondsSince(t0), 0.75);
  EXPECT_LT(SecondsSince(t0), 40.0);
  EXPECT_EQ(1u, Grep(p.Stderr(), "stubborn: stop_grace_period of 1m shortened to ").size()) << p.Stderr();
}

TEST(Supervisor, ExitsWithMainProgramStatus) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args({}, {"/bin/sh", "-c", "exit 42"}));
  EXPECT_EQ(42, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("stop db"));
  Process q(set.Args({}, {"/bin/sh", "-c", "kill -USR1 $$"}));
  EXPECT_EQ(128 + SIGUSR1, q.Wait()) << q.Stderr();
  Process r(set.Args({"-e", "42"}, {"/bin/sh", "-c", "exit 42"}));
  EXPECT_EQ(0, r.Wait()) << r.Stderr();
}

TEST(Supervisor, MainServiceFromAFile) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("job", "main = true\ndepends_on = [\"db\"]\ncommand = \"exit 7\"\n");
  Process p(set.Args());
  EXPECT_EQ(7, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("stop db"));
}

TEST(Supervisor, FailedOneshotBlocksMainAndGivesItsStatus) {
  Set set;
  set.Add("migrate", "type = \"oneshot\"\ncommand = \"echo migrate >> @LOG; exit 3\"\n");
  Process p(set.Args({}, {"/bin/sh", "-c", "echo main >> " + set.log()}));
  EXPECT_EQ(3, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("migrate"));
  EXPECT_FALSE(set.Has("main"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "main: blocked: dependency 'migrate' failed").size()) << p.Stderr();
}

TEST(Supervisor, OnFailureShutdownAfterMaxRestarts) {
  Set set;
  set.Add("flaky", "command = \"echo run >> @LOG; exit 4\"\nmax_restarts = 2\n"
                   "restart_delay = \"50ms\"\non_failure = \"shutdown\"\n");
  set.Add("other", Recorder("other"));
  Process p(set.Args());
  EXPECT_EQ(4, p.Wait()) << p.Stderr();
  auto ev = set.Events();
  EXPECT_EQ(3, std::count(ev.begin(), ev.end(), "run"));
  EXPECT_TRUE(set.Has("stop other"));
}

TEST(Supervisor, StoppedBySignalWithoutMainExitsZero) {
  Set set;
  set.Add("a", Recorder("a"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start a"); }));
  p.Signal(SIGINT);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, MainNotFoundIs127) {
  Set set;
  set.Add("a", Recorder("a"));
  Process p(set.Args({}, {"/no/such/binary"}));
  EXPECT_EQ(127, p.Wait());
  EXPECT_EQ(1u, Grep(p.Stderr(), "main: /no/such/binary: not found").size()) << p.Stderr();
}

TEST(Supervisor, RestartsWithBackoff) {
  Set set;
  set.Add("crashy", "command = \"echo run >> @LOG; exit 1\"\nrestart_delay = \"50ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] {
    auto ev = set.Events();
    return std::count(ev.begin(), ev.end(), "run") >= 4;
  })) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, SignalsAreForwardedToMain) {
  Set set;
  set.Add("a", Recorder("a"));
  std::string rec = set.path("signals");
  Process p(set.Args({}, {STEWARD_TEST_HELPER, "record", rec}));
  ASSERT_TRUE(WaitFor([&] { return ReadFile(rec).find("ready") != std::string::npos; }));
  for (int sig : {SIGUSR1, SIGUSR2, SIGWINCH, SIGRTMIN + 2}) {
    p.Signal(sig);
    std::string want = "\n" + std::to_string(sig) + "\n";
    EXPECT_TRUE(WaitFor([&] { return ReadFile(rec).find(want) != std::string::npos; }))
        << sig;
  }
  p.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "reload: no changes").empty(); })) << p.Stderr();
  EXPECT_EQ(std::string::npos, ReadFile(rec).find("\n1\n"));  // SIGHUP not forwarded
  // The recorder catches SIGTERM too, so it is killed after its grace, and
  // steward exits with main's status.
  p.Signal(SIGTERM);
  EXPECT_EQ(128 + SIGKILL, p.Wait());
}

TEST(Supervisor, ReadinessBySystemdNotify) {
  Set set;
  set.Add("db", std::string("command = \"echo start db >> @LOG; sleep 0.3; echo notifying >> @LOG; ") +
                    STEWARD_TEST_HELPER + " notify READY=1; exec sleep 1000\"\n"
                    "[ready]\nnotify = \"systemd\"\n");
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  EXPECT_LT(set.At("notifying"), set.At("start app"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, ReadinessByNotifyFdAndCommand) {
  Set set;
  set.Add("a", "command = \"echo start a >> @LOG; sleep 0.2; echo >&3; exec sleep 1000\"\n"
               "[ready]\nnotify_fd = 3\n");
  set.Add("b", "depends_on = [\"a\"]\n"
               "command = \"echo start b >> @LOG; sleep 0.2; touch @DIR/b.ok; exec sleep 1000\"\n"
               "[ready]\ncommand = [\"test\", \"-f\", \"@DIR/b.ok\"]\ninterval = \"50ms\"\n");
  set.Add("c", Recorder("c", "depends_on = [\"b\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start c"); })) << p.Stderr();
  EXPECT_LT(set.At("start a"), set.At("start b"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, NotReadyInTimeFailsAndBlocksDependents) {
  Set set;
  set.Add("slow", "command = \"exec sleep 1000\"\nmax_restarts = 1\nrestart_delay = \"50ms\"\n"
                  "[ready]\nfile = \"@DIR/never\"\ntimeout = \"300ms\"\n");
  set.Add("app", Recorder("app", "depends_on = [\"slow\"]\n"));
  Process p(set.Args({}, {"/bin/true"}));
  EXPECT_EQ(143, p.Wait()) << p.Stderr();  // slow's last status: stopped (SIGTERM) when not ready
  EXPECT_FALSE(set.Has("start app"));
  EXPECT_EQ(2u, Grep(p.Stderr(), "slow: not ready after 300ms").size()) << p.Stderr();
}

TEST(Supervisor, UnhealthyServiceIsRestarted) {
  Set set;
  set.Add("web", "command = \"echo run >> @LOG; exec sleep 1000\"\n"
                 "[healthcheck]\ntest = [\"CMD-SHELL\", \"test -f @DIR/healthy\"]\n"
                 "interval = \"100ms\"\nretries = 2\non_unhealthy = \"restart\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] {
    auto ev = set.Events();
    return std::count(ev.begin(), ev.end(), "run") >= 2;
  })) << p.Stderr();
  EXPECT_FALSE(Grep(p.Stderr(), "web: unhealthy").empty());
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

}  // namespace
}  // namespace steward::testing
