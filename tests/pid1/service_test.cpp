// The service state machine walked with a fake host: a fake clock, a fake
// launcher and a record of every signal and timer, so each State x Event
// pair is checked without a process.
#include "steward/pid1/service.hpp"

#include <signal.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "fake_service_host.hpp"
#include "service_config.hpp"

namespace steward {
namespace {

int Exited(int code) { return code << 8; }
int Signaled(int sig) { return sig; }

using FakeHost = testing::FakeServiceHost;

ServiceConfig Longrun() {
  ServiceConfig c = testing::Longrun("web");
  c.command.argv = {"/bin/true"};
  return c;
}

ServiceConfig Oneshot() {
  ServiceConfig c = testing::Oneshot("migrate");
  c.command.argv = {"/bin/true"};
  return c;
}

class ServiceTest : public ::testing::Test {
 protected:
  FakeHost host;
  std::unique_ptr<Service> svc;

  void Make(ServiceConfig c, KillMode mode = KillMode::kGroup) {
    svc = std::make_unique<Service>(std::move(c), mode, &host);
  }
  // Drives the service to a state through the public events only.
  void Reach(State s) {
    if (s == State::kStopped) return;
    svc->Handle(Event::kStart);
    if (s == State::kStarting) return;
    if (s == State::kBlocked) return svc->Handle(Event::kBlock);
    svc->Handle(Event::kDepsReady);
    if (s == State::kRunning || s == State::kReady) {
      if (svc->state() == State::kRunning && s == State::kReady) svc->Handle(Event::kReady);
      return;
    }
    if (s == State::kStopping) return svc->Handle(Event::kStop);
    if (s == State::kExited) return svc->Handle(Event::kExit, Exited(0));
    if (s == State::kBackoff || s == State::kFailed) return svc->Handle(Event::kExit, Exited(1));
  }
};

TEST_F(ServiceTest, StartsOnlyWhenDependenciesAreReady) {
  Make(Longrun());
  svc->Handle(Event::kStart);
  EXPECT_EQ(State::kStarting, svc->state());
  EXPECT_TRUE(host.log.empty());
  svc->Handle(Event::kDepsReady);
  EXPECT_EQ(State::kReady, svc->state());  // no [ready]: ready when started
  EXPECT_EQ(100, svc->pid());
}

TEST_F(ServiceTest, ReadinessCheckKeepsItRunningUntilReady) {
  ServiceConfig c = Longrun();
  c.ready.kind = ReadyCheck::Kind::kTcp;
  c.ready.timeout = Duration(3000);
  Make(c);
  Reach(State::kRunning);
  EXPECT_EQ(State::kRunning, svc->state());
  EXPECT_TRUE(host.timer_set);
  EXPECT_EQ(Duration(3000), host.timer);
  svc->Handle(Event::kReady);
  EXPECT_EQ(State::kReady, svc->state());
  EXPECT_FALSE(host.timer_set);
}

TEST_F(ServiceTest, ReadinessTimeoutStopsItGracefullyAndIsAFailedStart) {
  ServiceConfig c = Longrun();
  c.ready.kind = ReadyCheck::Kind::kFile;
  c.stop_grace_period = Duration(7000);
  c.max_restarts = 1;
  Make(c);
  Reach(State::kRunning);
  host.log.clear();
  svc->Handle(Event::kTimer);
  // Stop signal and SIGCONT first, never SIGKILL at once; then the grace.
  EXPECT_EQ((std::vector<std::string>{"kill 100 group 15", "kill 100 group 18"}), host.log);
  EXPECT_EQ(State::kStopping, svc->state());
  EXPECT_EQ(Duration(7000), host.timer);
  svc->Handle(Event::kTimer);  // the grace ran out
  EXPECT_EQ("kill 100 group 9", host.log.back());
  svc->Handle(Event::kExit, Signaled(SIGKILL));
  EXPECT_EQ(State::kBackoff, svc->state());  // a failed start: back-off, not a stop
  EXPECT_EQ(1, svc->restarts());
  svc->Handle(Event::kTimer);
  EXPECT_EQ(State::kRunning, svc->state());
  svc->Handle(Event::kTimer);  // not ready again
  svc->Handle(Event::kExit, Exited(0));  // even a clean exit on SIGTERM counts as failed
  EXPECT_EQ(State::kFailed, svc->state());
}

TEST_F(ServiceTest, ReadinessTimeoutWhileWantedDownEndsStopped) {
  ServiceConfig c = Longrun();
  c.ready.kind = ReadyCheck::Kind::kFile;
  Make(c);
  Reach(State::kRunning);
  svc->Handle(Event::kTimer);
  svc->SetWant(Want::kDown);  // the stop sequence began meanwhile
  svc->Handle(Event::kExit, Signaled(SIGTERM));
  EXPECT_EQ(State::kStopped, svc->state());
}

TEST_F(ServiceTest, GraceLimitShortensTheStop) {
  ServiceConfig c = Longrun();
  c.stop_grace_period = Duration(20000);
  Make(c);
  Reach(State::kReady);
  svc->LimitGrace(Duration(2500));
  EXPECT_EQ(Clock::duration(Duration(2500)), svc->EffectiveGrace());
  svc->Handle(Event::kStop);
  EXPECT_EQ(Duration(2500), host.timer);
  svc->Handle(Event::kTimer);
  EXPECT_EQ("kill 100 group 9", host.log.back());
}

TEST_F(ServiceTest, OneshotCompletesWithZero) {
  Make(Oneshot());
  Reach(State::kRunning);
  EXPECT_EQ(State::kRunning, svc->state());
  EXPECT_FALSE(svc->SatisfiesDependents());
  svc->Handle(Event::kExit, Exited(0));
  EXPECT_EQ(State::kExited, svc->state());
  EXPECT_TRUE(svc->SatisfiesDependents());
}

TEST_F(ServiceTest, OneshotFailureIsFinalByDefault) {
  Make(Oneshot());
  Reach(State::kRunning);
  svc->Handle(Event::kExit, Exited(3));
  EXPECT_EQ(State::kFailed, svc->state());
  EXPECT_EQ(3, svc->last_status() >> 8);
}

TEST_F(ServiceTest, BackoffDoublesUpToTheCap) {
  ServiceConfig c = Longrun();
  c.restart_delay = Duration(100);
  c.restart_delay_max = Duration(500);
  Make(c);
  Reach(State::kReady);
  std::vector<Clock::duration> delays;
  for (int i = 0; i < 5; ++i) {
    svc->Handle(Event::kExit, Exited(1));
    ASSERT_EQ(State::kBackoff, svc->state());
    delays.push_back(host.timer);
    svc->Handle(Event::kTimer);
    ASSERT_EQ(State::kReady, svc->state());
  }
  std::vector<Clock::duration> want = {Duration(100), Duration(200), Duration(400), Duration(500),
                                       Duration(500)};
  EXPECT_EQ(want, delays);
  EXPECT_EQ(5, svc->restarts());
}

TEST_F(ServiceTest, LongRunResetsTheFailureCount) {
  ServiceConfig c = Longrun();
  c.restart_delay = Duration(100);
  Make(c);
  Reach(State::kReady);
  svc->Handle(Event::kExit, Exited(1));
  svc->Handle(Event::kTimer);
  svc->Handle(Event::kExit, Exited(1));
  EXPECT_EQ(Duration(200), host.timer);
  svc->Handle(Event::kTimer);
  host.now += std::chrono::seconds(10);  // stayed up 10 s
  svc->Handle(Event::kExit, Exited(1));
  EXPECT_EQ(Duration(100), host.timer);
}

TEST_F(ServiceTest, MaxRestartsThenFailedForGood) {
  ServiceConfig c = Longrun();
  c.max_restarts = 2;
  Make(c);
  Reach(State::kReady);
  svc->Handle(Event::kExit, Exited(1));
  svc->Handle(Event::kTimer);
  svc->Handle(Event::kExit, Exited(1));
  svc->Handle(Event::kTimer);
  EXPECT_EQ(State::kReady, svc->state());
  svc->Handle(Event::kExit, Exited(1));
  EXPECT_EQ(State::kFailed, svc->state());
  EXPECT_EQ(2, svc->restarts());
}

TEST_F(ServiceTest, LaunchFailureCountsItsExitCode) {
  ServiceConfig c = Longrun();
  c.restart = RestartPolicy::kNo;
  Make(c);
  host.launch_fails = true;
  Reach(State::kStarting);
  svc->Handle(Event::kDepsReady);
  EXPECT_EQ(State::kFailed, svc->state());
  EXPECT_EQ(127, svc->last_status() >> 8);
}

TEST_F(ServiceTest, LaunchFailureARetryCannotFixFailsAtOnce) {
  Make(Longrun());  // restart = "on-failure", never giving up
  host.launch_fails = true;
  host.launch_final = true;
  host.launch_exit_code = 1;
  Reach(State::kStarting);
  svc->Handle(Event::kDepsReady);
  EXPECT_EQ(State::kFailed, svc->state());
  EXPECT_FALSE(host.timer_set);
  EXPECT_EQ(0, svc->restarts());
  EXPECT_EQ(1, svc->last_status() >> 8);
  // ctl start (or a reload) tries again.
  host.launch_fails = false;
  svc->Handle(Event::kStart);
  svc->Handle(Event::kDepsReady);
  EXPECT_EQ(State::kReady, svc->state());
}

TEST_F(ServiceTest, PidFileHandsTheServiceToTheDaemonOnExitZero) {
  ServiceConfig c = Longrun();
  c.pid_file = "/run/app.pid";
  Make(c);
  Reach(State::kReady);
  host.adopt_pid = 4242;
  svc->Handle(Event::kExit, Exited(0));
  EXPECT_EQ(State::kReady, svc->state());
  EXPECT_EQ(4242, svc->pid());
  EXPECT_EQ("adopt 4242", host.log.back());
  // The daemon's exit is the service's: no second adoption, a restart.
  svc->Handle(Event::kExit, Exited(3));
  EXPECT_EQ(State::kBackoff, svc->state());
  EXPECT_EQ(1, std::count(host.log.begin(), host.log.end(), "adopt 4242"));
}

TEST_F(ServiceTest, PidFileWithoutADaemonIsAFailedStart) {
  ServiceConfig c = Longrun();
  c.pid_file = "/run/app.pid";
  c.restart = RestartPolicy::kNo;
  Make(c);
  Reach(State::kReady);
  host.adopt_pid = -1;
  svc->Handle(Event::kExit, Exited(0));
  EXPECT_EQ(State::kFailed, svc->state());
  EXPECT_EQ(1, svc->last_status() >> 8);
}

TEST_F(ServiceTest, RestartAlwaysRestartsACleanExit) {
  ServiceConfig c = Longrun();
  c.restart = RestartPolicy::kAlways;
  Make(c);
  Reach(State::kReady);
  svc->Handle(Event::kExit, Exited(0));
  EXPECT_EQ(State::kBackoff, svc->state());
  c.restart = RestartPolicy::kOnFailure;
  Make(c);
  Reach(State::kReady);
  svc->Handle(Event::kExit, Exited(0));
  EXPECT_EQ(State::kExited, svc->state());
}

TEST_F(ServiceTest, StopSendsSignalThenContThenKillsAfterGrace) {
  ServiceConfig c = Longrun();
  c.stop_signal = SIGQUIT;
  c.stop_grace_period = Duration(7000);
  Make(c);
  Reach(State::kReady);
  host.log.clear();
  svc->Handle(Event::kStop);
  EXPECT_EQ(State::kStopping, svc->state());
  EXPECT_EQ((std::vector<std::string>{"kill 100 group 3", "kill 100 group 18"}), host.log);
  EXPECT_EQ(Duration(7000), host.timer);
  svc->Handle(Event::kTimer);
  EXPECT_EQ("kill 100 group 9", host.log.back());
  svc->Handle(Event::kExit, Signaled(SIGKILL));
  EXPECT_EQ(State::kStopped, svc->state());
  EXPECT_FALSE(host.timer_set);
}

TEST_F(ServiceTest, ProcessKillModeSignalsTheProcessOnly) {
  Make(Longrun(), KillMode::kProcess);
  Reach(State::kReady);
  host.log.clear();
  svc->Handle(Event::kStop);
  EXPECT_EQ("kill 100 15", host.log.front());
}

TEST_F(ServiceTest, StopCommandReplacesTheSignal) {
  ServiceConfig c = Longrun();
  c.stop_command.argv = {"nginx", "-s", "quit"};
  Make(c);
  Reach(State::kReady);
  host.log.clear();
  svc->Handle(Event::kStop);
  EXPECT_EQ((std::vector<std::string>{"stop_command"}), host.log);
}

TEST_F(ServiceTest, StoppedOnlyWhenTheGroupIsEmpty) {
  Make(Longrun());
  Reach(State::kReady);
  svc->Handle(Event::kStop);
  host.group_alive = true;
  svc->Handle(Event::kExit, Exited(0));
  EXPECT_EQ(State::kStopping, svc->state());
  svc->Handle(Event::kReaped);
  EXPECT_EQ(State::kStopping, svc->state());
  host.group_alive = false;
  svc->Handle(Event::kReaped);
  EXPECT_EQ(State::kStopped, svc->state());
}

TEST_F(ServiceTest, StartWhileStoppingRestartsAfterTheStop) {
  Make(Longrun());
  Reach(State::kReady);
  svc->Handle(Event::kStop);
  svc->Handle(Event::kStart);
  EXPECT_EQ(State::kStopping, svc->state());
  svc->Handle(Event::kExit, Signaled(SIGTERM));
  EXPECT_EQ(State::kStarting, svc->state());
}

TEST_F(ServiceTest, UnhealthyRestartsOnlyWhenAsked) {
  ServiceConfig c = Longrun();
  Make(c);
  Reach(State::kReady);
  svc->Handle(Event::kUnhealthy);
  EXPECT_EQ(State::kReady, svc->state());
  c.healthcheck.enabled = true;
  c.healthcheck.restart_on_unhealthy = true;
  Make(c);
  Reach(State::kReady);
  svc->Handle(Event::kUnhealthy);
  EXPECT_EQ(State::kStopping, svc->state());
  svc->Handle(Event::kExit, Signaled(SIGTERM));
  EXPECT_EQ(State::kStarting, svc->state());
}

TEST_F(ServiceTest, LeftoversOfAnExitedServiceGetTerm) {
  Make(Longrun());
  Reach(State::kReady);
  host.group_alive = true;
  host.log.clear();
  svc->Handle(Event::kExit, Exited(1));
  EXPECT_EQ((std::vector<std::string>{"kill 100 group 15", "kill 100 group 18"}), host.log);
}

// Every pair of the table, from every reachable state: the resulting state
// is the one the table says, and nothing else happens for the ignored ones.
TEST_F(ServiceTest, TableWalk) {
  struct Row {
    State from;
    Event ev;
    State to;
  };
  const State S = State::kStopped, G = State::kStarting, R = State::kRunning, Y = State::kReady,
              P = State::kStopping, X = State::kExited, B = State::kBackoff, F = State::kFailed,
              K = State::kBlocked;
  // Oneshot for kRunning (stays running); longrun elsewhere.
  const Row rows[] = {
      {S, Event::kStart, G}, {S, Event::kDepsReady, S}, {S, Event::kReady, S},
      {S, Event::kExit, S}, {S, Event::kReaped, S}, {S, Event::kTimer, S}, {S, Event::kStop, S},
      {S, Event::kBlock, K}, {S, Event::kUnhealthy, S},

      {G, Event::kStart, G}, {G, Event::kDepsReady, Y}, {G, Event::kReady, G},
      {G, Event::kExit, G}, {G, Event::kReaped, G}, {G, Event::kTimer, G}, {G, Event::kStop, S},
      {G, Event::kBlock, K}, {G, Event::kUnhealthy, G},

      {R, Event::kStart, R}, {R, Event::kDepsReady, R}, {R, Event::kReady, Y},
      {R, Event::kExit, X}, {R, Event::kReaped, R}, {R, Event::kTimer, P},
      {R, Event::kStop, P}, {R, Event::kBlock, R}, {R, Event::kUnhealthy, R},

      {Y, Event::kStart, Y}, {Y, Event::kDepsReady, Y}, {Y, Event::kReady, Y},
      {Y, Event::kExit, B}, {Y, Event::kReaped, Y}, {Y, Event::kTimer, Y}, {Y, Event::kStop, P},
      {Y, Event::kBlock, Y}, {Y, Event::kUnhealthy, Y},

      {P, Event::kStart, P}, {P, Event::kDepsReady, P}, {P, Event::kReady, P},
      {P, Event::kExit, S}, {P, Event::kReaped, P}, {P, Event::kTimer, P}, {P, Event::kStop, P},
      {P, Event::kBlock, P}, {P, Event::kUnhealthy, P},

      {X, Event::kStart, G}, {X, Event::kDepsReady, X}, {X, Event::kReady, X},
      {X, Event::kExit, X}, {X, Event::kReaped, X}, {X, Event::kTimer, X}, {X, Event::kStop, X},
      {X, Event::kBlock, X}, {X, Event::kUnhealthy, X},

      {B, Event::kStart, B}, {B, Event::kDepsReady, B}, {B, Event::kReady, B},
      {B, Event::kExit, B}, {B, Event::kReaped, B}, {B, Event::kTimer, Y}, {B, Event::kStop, S},
      {B, Event::kBlock, K}, {B, Event::kUnhealthy, B},

      {F, Event::kStart, G}, {F, Event::kDepsReady, F}, {F, Event::kReady, F},
      {F, Event::kExit, F}, {F, Event::kReaped, F}, {F, Event::kTimer, F}, {F, Event::kStop, F},
      {F, Event::kBlock, F}, {F, Event::kUnhealthy, F},

      {K, Event::kStart, G}, {K, Event::kDepsReady, K}, {K, Event::kReady, K},
      {K, Event::kExit, K}, {K, Event::kReaped, K}, {K, Event::kTimer, K}, {K, Event::kStop, S},
      {K, Event::kBlock, K}, {K, Event::kUnhealthy, K},
  };
  int covered[kStateCount][kEventCount] = {};
  for (const Row& r : rows) {
    ServiceConfig c = r.from == R ? Oneshot() : Longrun();
    if (r.from == F) c.restart = RestartPolicy::kNo;
    Make(c);
    Reach(r.from);
    ASSERT_EQ(r.from, svc->state()) << StateName(r.from);
    svc->Handle(r.ev, r.from == R ? Exited(0) : Exited(1));
    EXPECT_EQ(StateName(r.to), std::string(StateName(svc->state())))
        << StateName(r.from) << " x " << EventName(r.ev);
    covered[int(r.from)][int(r.ev)]++;
  }
  for (int s = 0; s < kStateCount; ++s)
    for (int e = 0; e < kEventCount; ++e)
      EXPECT_EQ(1, covered[s][e]) << StateName(State(s)) << " x " << EventName(Event(e));
}

}  // namespace
}  // namespace steward
