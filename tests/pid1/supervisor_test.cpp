// The Supervisor's policy walked with a fake host: no process, no loop, a
// record of every launch, signal and timer, so start waves, dependency
// blocking, reverse stop, the deadline, a second SIGTERM, main's exit code,
// pending control requests and the stop table are checked one by one.
#include "steward/pid1/supervisor.hpp"

#include "supervisor_fixture.hpp"

#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace steward {
namespace {

using namespace testing_support;

TEST_F(SupervisorTest, StartsInWavesOfDependencies) {
  // db <- app <- web; cache alone: the first wave is db and cache.
  ServiceConfig db = Svc("db");
  db.ready.kind = ReadyCheck::Kind::kFile;  // ready only when the probe says so
  Make({Svc("app", {"db"}), Svc("cache"), db, Svc("web", {"app"})});
  EXPECT_EQ((std::vector<std::string>{"launch cache", "launch db"}), TakeLog());
  EXPECT_EQ(State::kStarting, StateOf("app"));
  EXPECT_EQ(State::kRunning, StateOf("db"));
  EXPECT_EQ(State::kReady, StateOf("cache"));  // no readiness check: ready at once
  // db ready: app starts, is ready at once, and releases web in the same pass.
  sup->OnServiceReady(*sup->services()[2]);
  EXPECT_TRUE(TakeLog().empty());  // recorded only
  sup->Settle();
  EXPECT_EQ((std::vector<std::string>{"launch app", "launch web"}), TakeLog());
}

TEST_F(SupervisorTest, ADependencyThatFailsBlocksItsDependents) {
  host.fail_launch = {"db"};
  Make({Svc("app", {"db"}), Svc("db"), Svc("web", {"app"})});
  EXPECT_EQ((std::vector<std::string>{"launch-failed db"}), TakeLog());
  EXPECT_EQ(State::kFailed, StateOf("db"));
  EXPECT_EQ(State::kBlocked, StateOf("app"));
  EXPECT_EQ(State::kBlocked, StateOf("web"));
  std::vector<ServiceStatus> st = sup->Status();
  EXPECT_EQ("db", st[0].blocked_by);  // app
  EXPECT_EQ("db", st[2].blocked_by);  // web: the root cause, not app
  EXPECT_EQ(Phase::kRunning, sup->phase());
}

TEST_F(SupervisorTest, StopsInReverseOrderThenLeftoversThenDrain) {
  Make({Svc("app", {"db"}), Svc("db"), Svc("web", {"app"})});
  TakeLog();
  Signal(SIGTERM);
  EXPECT_EQ(Phase::kStopping, sup->phase());
  EXPECT_TRUE(host.deadline);
  EXPECT_EQ((std::vector<std::string>{"kill web 15"}), TakeLog());
  Exit("web", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"kill app 15"}), TakeLog());
  Exit("app", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"kill db 15"}), TakeLog());
  host.leftovers = 2;
  Exit("db", SIGTERM);
  EXPECT_EQ(Phase::kLeftovers, sup->phase());
  EXPECT_EQ((std::vector<int>{SIGTERM, SIGCONT}), host.leftover_signals);
  EXPECT_TRUE(host.grace);
  sup->OnStopEvent(StopEvent::kGrace);
  sup->Settle();
  EXPECT_EQ(SIGKILL, host.leftover_signals.back());
  host.leftovers = 0;
  sup->OnReaped(999, 9);
  sup->Settle();
  EXPECT_EQ(Phase::kDraining, sup->phase());
  EXPECT_TRUE(host.drain_requested);
  EXPECT_FALSE(host.deadline);
  EXPECT_FALSE(host.grace);
  EXPECT_FALSE(host.exited);
  sup->OnStopEvent(StopEvent::kDrained);
  sup->Settle();
  EXPECT_EQ(Phase::kDone, sup->phase());
  EXPECT_TRUE(host.exited);
  EXPECT_EQ(0, sup->exit_code());
}

TEST_F(SupervisorTest, DeadlineKillsEverythingStillRunning) {
  Make({Svc("a"), Svc("b", {"a"})});
  TakeLog();
  Signal(SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"kill b 15"}), TakeLog());
  sup->OnStopEvent(StopEvent::kDeadline);
  sup->Settle();
  // Everything still running, not only what was being stopped (step 3).
  EXPECT_EQ((std::vector<std::string>{"kill a 9", "kill b 9"}), TakeLog());
  // a is still stopped only after b, and with SIGKILL at once (no more waits).
  Exit("b", SIGKILL);
  EXPECT_EQ((std::vector<std::string>{"kill a 15", "kill a 9"}), TakeLog());
  Exit("a", SIGKILL);
  // The leftovers step skips its grace too.
  EXPECT_EQ((std::vector<int>{SIGKILL}), host.leftover_signals);
  EXPECT_EQ(Phase::kDraining, sup->phase());
}

TEST_F(SupervisorTest, SecondTermSkipsTheWaitsButQuitDoesNot) {
  Make({Svc("a")});
  TakeLog();
  Signal(SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"kill a 15"}), TakeLog());
  Signal(SIGQUIT);  // not a "second SIGTERM"
  EXPECT_TRUE(TakeLog().empty());
  Signal(SIGINT);
  EXPECT_EQ((std::vector<std::string>{"kill a 9"}), TakeLog());
  Signal(SIGTERM);  // once is enough
  EXPECT_TRUE(TakeLog().empty());
}

TEST_F(SupervisorTest, MainsExitCodeIsStewardsAndRemapApplies) {
  ServiceConfig main = Svc("app");
  main.main = true;
  Make({main, Svc("side")});
  Exit("app", Exited(3));
  EXPECT_EQ(Phase::kStopping, sup->phase());
  EXPECT_EQ((std::vector<std::string>{"launch app", "launch side", "kill side 15"}), TakeLog());
  Exit("side", SIGTERM);
  EXPECT_EQ(3, sup->exit_code());

  SupervisorSettings remap;
  remap.remap_exit = {3};
  Make({main}, remap);
  Exit("app", Exited(3));
  EXPECT_EQ(0, sup->exit_code());
}

TEST_F(SupervisorTest, MainStoppedBySignalGivesItsStatusAndCtlShutdownCodeWins) {
  ServiceConfig main = Svc("app");
  main.main = true;
  Make({main});
  Signal(SIGTERM);
  Exit("app", SIGTERM);  // killed by the signal: 128 + 15
  EXPECT_EQ(143, sup->exit_code());

  Make({main});
  sup->ControlShutdown(7);
  sup->Settle();
  EXPECT_EQ(Phase::kStopping, sup->phase());
  Exit("app", Exited(1));
  EXPECT_EQ(7, sup->exit_code());
}

TEST_F(SupervisorTest, MainBlockedByAFailedDependencyShutsDownWithItsCode) {
  ServiceConfig main = Svc("app", {"migrate"});
  main.main = true;
  ServiceConfig migrate = Svc("migrate");
  migrate.type = ServiceType::kOneshot;
  Make({main, migrate});
  Exit("migrate", Exited(4));
  EXPECT_EQ(Phase::kDraining, sup->phase());  // nothing was running
  EXPECT_EQ(4, sup->exit_code());
}

TEST_F(SupervisorTest, OnFailureShutdown) {
  ServiceConfig a = Svc("a");
  a.on_failure = OnFailure::kShutdown;
  Make({a, Svc("b")});
  Exit("a", Exited(5));
  EXPECT_EQ(Phase::kStopping, sup->phase());
  EXPECT_EQ(5, sup->exit_code());
}

TEST_F(SupervisorTest, WrapperModeForwardsEverySignal) {
  ServiceConfig main = Svc("main");
  main.main = true;
  SupervisorSettings w;
  w.wrapper_mode = true;
  Make({main}, w);
  TakeLog();
  Signal(SIGTERM);
  Signal(SIGHUP);
  EXPECT_EQ((std::vector<std::string>{"kill main 15", "kill main 1"}), TakeLog());
  EXPECT_EQ(Phase::kRunning, sup->phase());
  Exit("main", Exited(2));
  EXPECT_EQ(2, sup->exit_code());
  EXPECT_EQ(Phase::kDraining, sup->phase());
}

TEST_F(SupervisorTest, CtlStopWaitsForDependentsAndAnswersWhenDown) {
  Make({Svc("db"), Svc("app", {"db"})});
  TakeLog();
  std::vector<std::string> answers;
  auto done = [&](int code, const std::string& text) { answers.push_back(std::to_string(code) + ":" + text); };
  sup->ControlStop({"db"}, true, done);
  sup->Settle();
  EXPECT_EQ((std::vector<std::string>{"kill app 15"}), TakeLog());
  EXPECT_TRUE(answers.empty());
  Exit("app", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"kill db 15"}), TakeLog());
  EXPECT_TRUE(answers.empty());
  Exit("db", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"0:stopped app\nstopped db\n"}), answers);
  EXPECT_EQ(2, host.gone);  // each reaped main process was reported to the host
  EXPECT_EQ(State::kStopped, StateOf("db"));
  EXPECT_EQ(Want::kDown, sup->services()[0]->want());
  // Started again: dependencies first.
  sup->ControlStart({"app"}, true, done);
  sup->Settle();
  EXPECT_EQ((std::vector<std::string>{"launch db", "launch app"}), TakeLog());
  EXPECT_EQ("0:started db\nstarted app\n", answers.back());
  sup->ControlStart({"app"}, true, done);
  sup->Settle();
  EXPECT_EQ("0:app: already running\n", answers.back());
  sup->ControlStop({"db"}, false, nullptr);
  sup->Settle();
  Exit("app", SIGTERM);
  Exit("db", SIGTERM);
  sup->ControlStop({"db"}, true, done);
  sup->Settle();
  EXPECT_EQ("0:db: not running\n", answers.back());
}

TEST_F(SupervisorTest, CtlRestartRestartsOnlyTheNamedServiceAndCountsIt) {
  Make({Svc("db"), Svc("app", {"db"})});
  TakeLog();
  pid_t app_pid = host.pid_of.at("app");
  std::vector<std::string> answers;
  auto done = [&](int code, const std::string& text) { answers.push_back(std::to_string(code) + ":" + text); };
  sup->ControlRestart({"nope"}, true, false, done);
  EXPECT_EQ((std::vector<std::string>{"2:unknown service: nope (see steward ctl status)\n"}), answers);
  answers.clear();
  sup->ControlRestart({"db"}, true, false, done);
  sup->Settle();
  EXPECT_EQ((std::vector<std::string>{"kill db 15"}), TakeLog());  // app keeps running
  Exit("db", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"launch db"}), TakeLog());
  EXPECT_EQ((std::vector<std::string>{"0:restarted db\n"}), answers);
  EXPECT_EQ(app_pid, host.pid_of.at("app"));
  EXPECT_EQ(State::kReady, StateOf("app"));
  EXPECT_EQ(1, sup->Status()[0].restarts);  // db
  EXPECT_EQ(0, sup->Status()[1].restarts);  // app
}

TEST_F(SupervisorTest, CtlRestartWithDependentsStopsThemFirstAndStartsThemAgain) {
  Make({Svc("db"), Svc("app", {"db"})});
  TakeLog();
  std::vector<std::string> answers;
  auto done = [&](int code, const std::string& text) { answers.push_back(std::to_string(code) + ":" + text); };
  sup->ControlRestart({"db"}, true, true, done);
  sup->Settle();
  Exit("app", SIGTERM);
  Exit("db", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"kill app 15", "kill db 15", "launch db", "launch app"}), TakeLog());
  EXPECT_EQ((std::vector<std::string>{"0:restarted db\nrestarted app\n"}), answers);
  EXPECT_EQ(1, sup->Status()[1].restarts);  // app counts too
}

TEST_F(SupervisorTest, PendingRequestsAnswerWhenStewardStops) {
  ServiceConfig slow = Svc("slow", {"db"});
  Make({Svc("db"), slow});
  std::vector<std::string> answers;
  auto done = [&](int code, const std::string& text) { answers.push_back(std::to_string(code) + ":" + text); };
  sup->ControlStop({"db"}, true, done);
  sup->Settle();
  Signal(SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"1:steward is stopping\n"}), answers);
  sup->ControlStart({"db"}, true, done);
  EXPECT_EQ("1:steward is stopping\n", answers.back());
}

TEST_F(SupervisorTest, FailedStartIsReportedToCtlStart) {
  Make({Svc("db")});
  host.fail_launch = {"db"};
  std::vector<std::string> answers;
  auto done = [&](int code, const std::string& text) { answers.push_back(std::to_string(code) + ":" + text); };
  sup->ControlRestart({"db"}, true, false, done);
  sup->Settle();
  Exit("db", SIGTERM);
  EXPECT_EQ((std::vector<std::string>{"1:db: failed\n"}), answers);
}

TEST_F(SupervisorTest, HealthIsBlankForAServiceThatIsNotUp) {
  Make({Svc("redis")});
  host.health = Health::kHealthy;
  EXPECT_EQ(Health::kHealthy, sup->Status()[0].health);
  sup->ControlStop({"redis"}, false, nullptr);
  sup->Settle();
  EXPECT_EQ(Health::kNone, sup->Status()[0].health);  // stopping
  Exit("redis", SIGTERM);
  EXPECT_EQ(Health::kNone, sup->Status()[0].health);  // stopped
}

}  // namespace
}  // namespace steward
