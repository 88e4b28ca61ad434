// The service state machine walked with a fake host: a fake clock, a fake
// launcher and a record of every signal and timer, so each State x Event
// pair is checked without a process. Starting, readiness and stopping here;
// restarts and their policy in service_restart_test.cpp.
#include "steward/pid1/service.hpp"

#include <signal.h>

#include <gtest/gtest.h>

#include "service_fixture.hpp"

namespace steward {
namespace {

using testing_service::Exited;
using testing_service::Longrun;
using testing_service::Oneshot;
using testing_service::ServiceTest;
using testing_service::Signaled;

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
