// A Service's restarts on the fake host: back-off, the failure count and
// max_restarts, launch failures, pid_file daemons, restart policies and
// restarts on unhealthy.
#include "steward/pid1/service.hpp"

#include <signal.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "service_fixture.hpp"

namespace steward {
namespace {

using testing_service::Exited;
using testing_service::Longrun;
using testing_service::Oneshot;
using testing_service::ServiceTest;
using testing_service::Signaled;

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

}  // namespace
}  // namespace steward
