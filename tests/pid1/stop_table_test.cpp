// The stop table (stop_sequence.cpp) walked cell by cell: every Phase x
// StopEvent pair, reached through events only, and for each both the phase
// after it and every call the Supervisor made on its host for it.
#include <signal.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "steward/pid1/supervisor.hpp"
#include "steward/util/signals.hpp"
#include "supervisor_fixture.hpp"

namespace steward {
namespace {

using testing_support::FakeHost;
using testing_support::Svc;

// The fixture's fake host, with every call that matters to the stop
// sequence written down in order, as "what argument".
class RecordingHost : public FakeHost {
 public:
  std::vector<std::string> calls;

  pid_t Launch(Service& s, LaunchFailure* f) override {
    calls.push_back("launch " + s.name());
    return FakeHost::Launch(s, f);
  }
  void Kill(pid_t pid, bool group, int sig) override {
    calls.push_back("kill " + NameOf(pid) + " " + SignalName(sig));
    FakeHost::Kill(pid, group, sig);
  }
  void SetTimer(Service& s, Clock::duration after) override {
    calls.push_back("timer " + s.name());
    FakeHost::SetTimer(s, after);
  }
  void CancelTimer(Service& s) override {
    calls.push_back("cancel-timer " + s.name());
    FakeHost::CancelTimer(s);
  }
  void StartTimer(Timer t, Clock::duration after) override {
    calls.push_back(std::string("start ") + (t == Timer::kDeadline ? "deadline" : "grace"));
    FakeHost::StartTimer(t, after);
  }
  void StopTimer(Timer t) override {
    calls.push_back(std::string("stop ") + (t == Timer::kDeadline ? "deadline" : "grace"));
    FakeHost::StopTimer(t);
  }
  int SignalLeftovers(int sig) override {
    calls.push_back("leftovers " + SignalName(sig));
    return FakeHost::SignalLeftovers(sig);
  }
  void DrainLogs(Clock::time_point deadline) override {
    calls.push_back("drain");
    FakeHost::DrainLogs(deadline);
  }
  void Exit() override {
    calls.push_back("exit");
    FakeHost::Exit();
  }
};

using Calls = std::vector<std::string>;
const Phase R = Phase::kRunning, S = Phase::kStopping, L = Phase::kLeftovers,
            D = Phase::kDraining, X = Phase::kDone;
using E = StopEvent;

struct Cell {
  Phase from;
  StopEvent ev;
  Phase to;
  Calls calls;
};

const Calls kStopA = {"start deadline", "cancel-timer a", "timer a", "kill a SIGTERM",
                      "kill a SIGCONT"};

// One row per cell of kStopTable, in its order. Service a runs (pid 100);
// in leftovers one process of no service is left, and it is gone when a
// process is reaped there.
const Cell kCells[] = {
    // running: term, shutdown and main-gone begin the stop: the deadline
    // timer, then a's stop (its timer re-armed for its grace, SIGTERM and a
    // SIGCONT for a stopped process); nothing else happens.
    {R, E::kTerm, S, kStopA},
    {R, E::kShutdown, S, kStopA},
    {R, E::kMainGone, S, kStopA},
    {R, E::kAllDown, R, {}},
    {R, E::kDeadline, R, {}},
    {R, E::kReaped, R, {}},
    {R, E::kGrace, R, {}},
    {R, E::kDrained, R, {}},
    // stopping: a second term or the deadline SIGKILLs a; all down moves on
    // to the leftovers (none: straight to the drain).
    {S, E::kTerm, S, {"kill a SIGKILL"}},
    {S, E::kShutdown, S, {}},
    {S, E::kMainGone, S, {}},
    {S, E::kAllDown, D, {"leftovers SIGTERM", "stop deadline", "stop grace", "drain"}},
    {S, E::kDeadline, S, {"kill a SIGKILL"}},
    {S, E::kReaped, S, {}},
    {S, E::kGrace, S, {}},
    {S, E::kDrained, S, {}},
    // leftovers: a second term, the deadline and the grace SIGKILL them; the
    // last one reaped begins the drain.
    {L, E::kTerm, L, {"stop grace", "leftovers SIGKILL"}},
    {L, E::kShutdown, L, {}},
    {L, E::kMainGone, L, {}},
    {L, E::kAllDown, L, {}},
    {L, E::kDeadline, L, {"stop grace", "leftovers SIGKILL"}},
    {L, E::kReaped, D, {"stop deadline", "stop grace", "drain"}},
    {L, E::kGrace, L, {"leftovers SIGKILL"}},
    {L, E::kDrained, L, {}},
    // draining: a second term has nothing left to kill; drained exits.
    {D, E::kTerm, D, {}},
    {D, E::kShutdown, D, {}},
    {D, E::kMainGone, D, {}},
    {D, E::kAllDown, D, {}},
    {D, E::kDeadline, D, {}},
    {D, E::kReaped, D, {}},
    {D, E::kGrace, D, {}},
    {D, E::kDrained, X, {"exit"}},
    // done: nothing, ever.
    {X, E::kTerm, X, {}},
    {X, E::kShutdown, X, {}},
    {X, E::kMainGone, X, {}},
    {X, E::kAllDown, X, {}},
    {X, E::kDeadline, X, {}},
    {X, E::kReaped, X, {}},
    {X, E::kGrace, X, {}},
    {X, E::kDrained, X, {}},
};

class StopTable : public ::testing::Test {
 protected:
  RecordingHost host;
  std::unique_ptr<Supervisor> sup;

  // A fresh Supervisor with service a, brought to `phase` by events only.
  void Reach(Phase phase) {
    host = RecordingHost();
    Config cfg;
    cfg.services = {Svc("a")};
    sup = std::make_unique<Supervisor>(SupervisorSettings{}, std::move(cfg), &host);
    sup->Start();
    sup->Settle();
    if (phase == R) return;
    Deliver(E::kTerm);
    if (phase == S) return;
    host.leftovers = phase == L ? 1 : 0;
    sup->OnReaped(host.pid_of.at("a"), SIGTERM);  // a is down: all down
    sup->Settle();
    if (phase == L || phase == D) return;
    Deliver(E::kDrained);
  }

  // Each event the way it reaches the Supervisor: a signal, ctl shutdown, a
  // process of no service reaped, or from the host (timers, the drain, and
  // what the Supervisor records itself: main gone, all down).
  void Deliver(StopEvent e) {
    if (e == E::kTerm) {
      sup->OnSignal(SIGTERM);
    } else if (e == E::kShutdown) {
      sup->ControlShutdown(std::nullopt);
    } else if (e == E::kReaped) {
      sup->OnReaped(4242, 0);
    } else {
      sup->OnStopEvent(e);
    }
    sup->Settle();
  }
};

TEST_F(StopTable, EveryCellGivesItsPhaseAndItsHostCalls) {
  static_assert(sizeof kCells / sizeof kCells[0] == size_t(kPhaseCount) * kStopEventCount,
                "one row per cell of the stop table");
  for (const Cell& c : kCells) {
    SCOPED_TRACE(std::string(PhaseName(c.from)) + " x " + StopEventName(c.ev));
    Reach(c.from);
    ASSERT_EQ(PhaseName(c.from), std::string(PhaseName(sup->phase())));
    host.calls.clear();
    if (c.from == L && c.ev == E::kReaped) host.leftovers = 0;  // the last one
    Deliver(c.ev);
    EXPECT_EQ(PhaseName(c.to), std::string(PhaseName(sup->phase())));
    EXPECT_EQ(c.calls, host.calls);
  }
}

// The rows above are the table's cells, each once.
TEST_F(StopTable, TheWalkCoversEveryPhaseAndEvent) {
  bool seen[kPhaseCount][kStopEventCount] = {};
  for (const Cell& c : kCells) {
    EXPECT_FALSE(seen[int(c.from)][int(c.ev)]) << PhaseName(c.from) << " x " << StopEventName(c.ev);
    seen[int(c.from)][int(c.ev)] = true;
  }
  for (int p = 0; p < kPhaseCount; ++p) {
    for (int e = 0; e < kStopEventCount; ++e)
      EXPECT_TRUE(seen[p][e]) << PhaseName(Phase(p)) << " x " << StopEventName(StopEvent(e));
  }
}

}  // namespace
}  // namespace steward
