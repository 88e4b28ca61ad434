// LogHub's lifecycle: every cell of the phase table (hub.hpp).
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "steward/log/hub.hpp"

namespace steward::log {
namespace {

using P = LogHub::Phase;
using E = LogHub::Event;

constexpr P kPhases[] = {P::kIdle,      P::kStarting,    P::kRunning,      P::kHandingOver,
                         P::kHandingOverToDrain, P::kDraining, P::kDrainKilled, P::kDone};
constexpr E kEvents[] = {E::kStart, E::kForked, E::kStartFailed, E::kReconfigure,
                         E::kDrain, E::kExited, E::kDied,        E::kDeadline};

// The cells that move; every other (phase, event) stays where it is.
const std::map<std::pair<P, E>, P>& Moves() {
  static const std::map<std::pair<P, E>, P> moves = {
      {{P::kIdle, E::kStart}, P::kStarting},
      {{P::kIdle, E::kDrain}, P::kDone},
      {{P::kStarting, E::kForked}, P::kRunning},
      {{P::kStarting, E::kDrain}, P::kDraining},
      {{P::kRunning, E::kReconfigure}, P::kHandingOver},
      {{P::kRunning, E::kDrain}, P::kDraining},
      {{P::kRunning, E::kExited}, P::kStarting},
      {{P::kRunning, E::kDied}, P::kStarting},
      {{P::kHandingOver, E::kDrain}, P::kHandingOverToDrain},
      {{P::kHandingOver, E::kExited}, P::kStarting},
      {{P::kHandingOver, E::kDied}, P::kStarting},
      {{P::kHandingOverToDrain, E::kExited}, P::kDraining},
      {{P::kHandingOverToDrain, E::kDied}, P::kDraining},
      {{P::kHandingOverToDrain, E::kDeadline}, P::kDrainKilled},
      {{P::kDraining, E::kExited}, P::kDone},
      {{P::kDraining, E::kStartFailed}, P::kDone},
      {{P::kDraining, E::kDeadline}, P::kDrainKilled},
      {{P::kDrainKilled, E::kExited}, P::kDone},
      {{P::kDrainKilled, E::kDied}, P::kDone},
  };
  return moves;
}

TEST(LogHubPhase, EveryCellOfTheTable) {
  for (P p : kPhases) {
    for (E e : kEvents) {
      auto it = Moves().find({p, e});
      P want = it == Moves().end() ? p : it->second;
      EXPECT_EQ(int(want), int(LogHub::Next(p, e))) << "phase " << int(p) << ", event " << int(e);
    }
  }
}

TEST(LogHubPhase, AStartReloadAndDrainEndDone) {
  P p = P::kIdle;
  for (E e : {E::kStart, E::kForked, E::kReconfigure, E::kExited, E::kForked, E::kDrain, E::kExited})
    p = LogHub::Next(p, e);
  EXPECT_EQ(int(P::kDone), int(p));
}

TEST(LogHubPhase, ADrainDuringAHandoverStartsTheNextOneToDrain) {
  P p = LogHub::Next(LogHub::Next(P::kRunning, E::kReconfigure), E::kDrain);
  EXPECT_EQ(int(P::kHandingOverToDrain), int(p));
  p = LogHub::Next(p, E::kExited);  // the one handing over is gone
  EXPECT_EQ(int(P::kDraining), int(p));
  p = LogHub::Next(p, E::kForked);  // the next one drains
  EXPECT_EQ(int(P::kDraining), int(p));
}

TEST(LogHubPhase, ACrashWhileDrainingRestartsUntilTheDeadline) {
  EXPECT_EQ(int(P::kDraining), int(LogHub::Next(P::kDraining, E::kDied)));
  P killed = LogHub::Next(P::kDraining, E::kDeadline);
  EXPECT_EQ(int(P::kDrainKilled), int(killed));
  EXPECT_EQ(int(P::kDone), int(LogHub::Next(killed, E::kDied)));
}

TEST(LogHubPhase, NothingLeavesDone) {
  for (E e : kEvents) EXPECT_EQ(int(P::kDone), int(LogHub::Next(P::kDone, e)));
}

}  // namespace
}  // namespace steward::log
