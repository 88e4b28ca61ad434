// The stop sequence of SPEC §4 as one Phase x StopEvent table and its cells.
#include <signal.h>

#include <algorithm>

#include "steward/pid1/supervisor.hpp"
#include "steward/util/diag.hpp"
#include "supervisor_slot.hpp"

namespace steward {

const char* PhaseName(Phase p) {
  static const char* const kNames[] = {"running", "stopping", "leftovers", "draining", "done"};
  return kNames[int(p)];
}

const char* StopEventName(StopEvent e) {
  static const char* const kNames[] = {"term",  "shutdown", "main-gone", "all-down",
                                       "deadline", "reaped", "grace",    "drained"};
  return kNames[int(e)];
}

// Every phase x event pair, "nothing" written out. Each cell names the
// step of SPEC §4 ("Stop") it implements.
// Columns: Term, Shutdown, MainGone, AllDown, Deadline, Reaped, Grace, Drained.
using S = Supervisor;
const Supervisor::StopCell Supervisor::kStopTable[kPhaseCount][kStopEventCount] = {
    // running: SIGTERM/SIGINT/SIGQUIT, ctl shutdown, the main program's end
    // and on_failure = "shutdown" start the sequence (§4 Stop, first line).
    /* running   */ {&S::BeginStop, &S::BeginStop, &S::BeginStop, &S::Nothing, &S::Nothing,
                     &S::Nothing, &S::Nothing, &S::Nothing},
    // stopping: steps 1-2 run in Settle() (reverse order, one Service each);
    // a second SIGTERM/SIGINT (§4 last paragraph) and the deadline (step 3)
    // send SIGKILL to everything; all down moves on to step 4.
    /* stopping  */ {&S::TermAgain, &S::Nothing, &S::Nothing, &S::BeginLeftovers,
                     &S::DeadlineReached, &S::Nothing, &S::Nothing, &S::Nothing},
    // leftovers (step 4): SIGTERM sent; SIGKILL after --grace, at once on a
    // second signal or the deadline; the drain as soon as none is left.
    /* leftovers */ {&S::TermAgain, &S::Nothing, &S::Nothing, &S::Nothing,
                     &S::DeadlineReached, &S::CheckLeftovers, &S::GraceOver, &S::Nothing},
    // draining (step 5): the forwarder empties every pipe; then exit. A
    // second signal still drains the logs (§4 last paragraph).
    /* draining  */ {&S::TermAgain, &S::Nothing, &S::Nothing, &S::Nothing, &S::Nothing,
                     &S::Nothing, &S::Nothing, &S::Finish},
    /* done      */ {&S::Nothing, &S::Nothing, &S::Nothing, &S::Nothing, &S::Nothing,
                     &S::Nothing, &S::Nothing, &S::Nothing},
};

// The exit status is the first one named (SPEC §1 table), whatever the
// phase: the main program's, ctl shutdown's, or a failed service's.
void Supervisor::Dispatch(StopEvent e, std::optional<int> code, const std::string& why) {
  if (code && !exit_code_set_) {
    exit_code_ = *code;
    exit_code_set_ = true;
  }
  Debug("stop sequence: {} in phase {}", StopEventName(e), PhaseName(phase_));
  stop_why_ = why;
  // Loaded into a local first: GCC 12's UBSan mis-instruments an indexed
  // call through an array of pointers to member functions.
  StopCell cell = kStopTable[int(phase_)][int(e)];
  (this->*cell)();
}

Clock::duration DrainReserve(Duration shutdown_timeout) {
  return std::min<Clock::duration>(std::chrono::seconds(1), shutdown_timeout / 4);
}

// Steps 1-3 begin: every service is wanted down; Settle() stops them in
// reverse dependency order under --shutdown-timeout. The whole sequence
// fits in it (the engine's own timeout, Docker's 10 s or Kubernetes'
// terminationGracePeriodSeconds, must never SIGKILL steward): services and
// leftovers get what is left of it but the drain's slice.
void Supervisor::BeginStop() {
  phase_ = Phase::kStopping;
  if (!settings_.wrapper_mode) Info("stopping: {}", stop_why_);
  for (auto& slot : slots_) slot->svc->SetWant(Want::kDown);
  Clock::time_point now = services_->Now();
  deadline_at_ = now + settings_.shutdown_timeout;
  kill_at_ = deadline_at_ - DrainReserve(settings_.shutdown_timeout);
  stop_->StartTimer(StopHost::Timer::kDeadline, kill_at_ - now);
  dirty_ = true;
}

// Before each stop of the sequence: a stop_grace_period longer than what is
// left of the budget is shortened to it, with one warning naming the
// service (its SIGKILL would otherwise come from the engine, to all).
void Supervisor::FitInBudget(Service& s) {
  Clock::duration left = std::max(kill_at_ - services_->Now(), Clock::duration::zero());
  s.LimitGrace(left);
  bool has_process = s.state() == State::kRunning || s.state() == State::kReady;
  if (killed_ || !has_process || s.config().stop_grace_period <= left) return;
  Warning("{}: stop_grace_period of {} shortened to {}: the whole stop must fit in "
          "shutdown_timeout ({})",
          s.name(), FormatDuration(s.config().stop_grace_period),
          FormatDuration(std::chrono::duration_cast<Duration>(left)),
          FormatDuration(settings_.shutdown_timeout));
}

void Supervisor::TermAgain() {
  if (killed_) return;
  Warning("{} again; killing everything now", stop_why_);
  KillEverything();
}

void Supervisor::DeadlineReached() {
  // Said only when it kills something: a grace shortened to the budget ends
  // at this same moment and has said so already.
  bool any = phase_ == Phase::kLeftovers;
  for (auto& slot : slots_) any = any || slot->svc->Killable();
  Duration reserve = std::chrono::duration_cast<Duration>(DrainReserve(settings_.shutdown_timeout));
  if (any) {
    Warning("shutdown timeout of {} nearly reached (the last {} is the log drain's); sending "
            "SIGKILL to everything still running",
            FormatDuration(settings_.shutdown_timeout), FormatDuration(reserve));
  }
  KillEverything();
}

// Step 3 (and the second signal): no more graceful waits.
void Supervisor::KillEverything() {
  killed_ = true;
  for (auto& slot : slots_) slot->svc->KillNow();
  if (phase_ == Phase::kLeftovers) {
    stop_->StopTimer(StopHost::Timer::kGrace);
    stop_->SignalLeftovers(SIGKILL);
  }
  dirty_ = true;
}

// Step 4: whatever belongs to no service gets SIGTERM, then SIGKILL after
// --grace; steward goes on as soon as nothing is left.
void Supervisor::BeginLeftovers() {
  phase_ = Phase::kLeftovers;
  leftovers_grace_ = std::min<Clock::duration>(settings_.grace, kill_at_ - services_->Now());
  int sig = killed_ || leftovers_grace_ <= Clock::duration::zero() ? SIGKILL : SIGTERM;
  int n = stop_->SignalLeftovers(sig);
  if (n == 0) {
    BeginDrain();
    return;
  }
  stop_->SignalLeftovers(SIGCONT);
  if (!settings_.wrapper_mode)
    Info("{} leftover process{}; sent {}", n, n == 1 ? "" : "es", SignalName(sig));
  if (sig == SIGTERM) stop_->StartTimer(StopHost::Timer::kGrace, leftovers_grace_);
}

void Supervisor::CheckLeftovers() {
  if (stop_->LeftoversGone()) BeginDrain();
}

void Supervisor::GraceOver() {
  int n = stop_->SignalLeftovers(SIGKILL);
  if (n > 0) Warning("{} leftover process{} still running after {}; sent SIGKILL", n,
                     n == 1 ? "" : "es",
                     FormatDuration(std::chrono::duration_cast<Duration>(leftovers_grace_)));
}

// Step 5: every service and leftover is gone; the forwarder reads every
// pipe to end of file and flushes every sink, then steward exits.
void Supervisor::BeginDrain() {
  phase_ = Phase::kDraining;
  stop_->StopTimer(StopHost::Timer::kDeadline);
  stop_->StopTimer(StopHost::Timer::kGrace);
  // What is left of the budget: at least its reserved slice, unless a
  // process outlived its SIGKILL (then a moment, still inside Docker's 10 s
  // with the default 9 s): lines written while stopping ("shutting down")
  // are the ones users look for.
  stop_->DrainLogs(std::max(deadline_at_, services_->Now() + std::chrono::milliseconds(250)));
}

void Supervisor::Finish() {
  phase_ = Phase::kDone;
  stop_->Exit();
}

}  // namespace steward
