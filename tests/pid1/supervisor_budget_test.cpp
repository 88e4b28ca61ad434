// The stop budget (SPEC §4) walked with the fake host: the whole stop fits
// in shutdown_timeout, the last slice of it is the log drain's, and a grace
// longer than what is left is shortened with one warning.
#include <signal.h>

#include <gtest/gtest.h>

#include <string>

#include "steward/pid1/supervisor.hpp"
#include "supervisor_fixture.hpp"

namespace steward {
namespace {

using namespace testing_support;

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The stop budget (SPEC §4): a grace longer than what is left of
// shutdown_timeout, less the drain's slice, is shortened, with one warning.
TEST_F(SupervisorTest, StopBudgetShortensALongGraceWithOneWarning) {
  ServiceConfig slow = Svc("slow"), db = Svc("db");
  slow.stop_grace_period = Duration(20000);
  db.stop_grace_period = Duration(1000);
  SupervisorSettings settings;
  settings.shutdown_timeout = Duration(3000);
  Make({db, slow}, settings);
  TakeLog();
  host.now += std::chrono::seconds(100);
  ::testing::internal::CaptureStderr();
  Signal(SIGTERM);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(1u, Occurrences(err, "warning:")) << err;
  EXPECT_NE(std::string::npos,
            err.find("steward: warning: slow: stop_grace_period of 20s shortened to 2.25s: the "
                     "whole stop must fit in shutdown_timeout (3s)\n"))
      << err;
  EXPECT_EQ(Clock::duration(Duration(2250)), host.timer_after.at("slow"));
  EXPECT_EQ(Clock::duration(Duration(1000)), host.timer_after.at("db"));  // fits: untouched
  EXPECT_EQ(Clock::duration(Duration(2250)), host.deadline_after);
  // Leftovers get what is left too, and the drain the rest of the budget.
  host.now += std::chrono::milliseconds(2000);
  host.leftovers = 1;
  Exit("db", SIGTERM);
  Exit("slow", SIGTERM);
  EXPECT_EQ(Clock::duration(Duration(250)), host.grace_after);
  host.leftovers = 0;
  sup->OnReaped(999, 9);
  sup->Settle();
  EXPECT_EQ(Phase::kDraining, sup->phase());
  EXPECT_EQ(Clock::time_point(std::chrono::seconds(103)), host.drain_deadline);
}

TEST_F(SupervisorTest, DeadlineWarnsOnlyWhenItStillKillsSomething) {
  ServiceConfig slow = Svc("slow");
  slow.stop_grace_period = Duration(20000);
  SupervisorSettings settings;
  settings.shutdown_timeout = Duration(3000);
  Make({slow}, settings);
  Signal(SIGTERM);
  ::testing::internal::CaptureStderr();
  sup->OnServiceTimer(*sup->services()[0]);  // the shortened grace ends first
  sup->OnStopEvent(StopEvent::kDeadline);    // at the same moment
  sup->Settle();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(1u, Occurrences(err, "slow: still running 2.25s after SIGTERM; sending SIGKILL")) << err;
  EXPECT_EQ(0u, Occurrences(err, "shutdown timeout")) << err;
}

TEST_F(SupervisorTest, StopBudgetKeepsTheLastSecondForTheDrain) {
  Make({Svc("a")});  // default shutdown_timeout: 9s
  Signal(SIGTERM);
  EXPECT_EQ(Clock::duration(Duration(8000)), host.deadline_after);
  host.now += std::chrono::milliseconds(8500);  // SIGKILLed at 8s, gone late
  Exit("a", SIGKILL);
  EXPECT_EQ(Clock::time_point(Duration(9000)), host.drain_deadline);
}

}  // namespace
}  // namespace steward
