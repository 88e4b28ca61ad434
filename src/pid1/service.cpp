// One service's lifecycle: the State x Event table and its handlers.
#include "steward/pid1/service.hpp"

#include <signal.h>

#include <algorithm>
#include <string>
#include <utility>

#include "steward/util/diag.hpp"
#include "steward/util/exit_status.hpp"
#include "steward/util/signals.hpp"

namespace steward {

namespace {
// A run that stayed up this long resets the failure count (SPEC §3).
constexpr Clock::duration kStableRun = std::chrono::seconds(10);
}  // namespace

const char* EventName(Event e) {
  static const char* const kNames[] = {"start", "deps-ready", "ready", "exit", "reaped",
                                       "timer", "stop",       "block", "unhealthy"};
  return kNames[int(e)];
}

// Every state x event pair, "do nothing" written out (s6's model).
// Columns: Start, DepsReady, Ready, Exit, Reaped, Timer, Stop, Block, Unhealthy.
using S = Service;
const Service::Handler Service::kTable[kStateCount][kEventCount] = {
    /* stopped  */ {&S::Start, &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore,
                    &S::Ignore, &S::Ignore, &S::Block, &S::Ignore},
    /* starting */ {&S::Ignore, &S::Launch, &S::Ignore, &S::Ignore, &S::Ignore,
                    &S::Ignore, &S::StopIdle, &S::Block, &S::Ignore},
    /* running  */ {&S::Ignore, &S::Ignore, &S::BecomeReady, &S::OnExit, &S::Ignore,
                    &S::OnReadyTimeout, &S::StopRunning, &S::Ignore, &S::Ignore},
    /* ready    */ {&S::Ignore, &S::Ignore, &S::Ignore, &S::OnExit, &S::Ignore,
                    &S::Ignore, &S::StopRunning, &S::Ignore, &S::RestartUnhealthy},
    /* stopping */ {&S::Ignore, &S::Ignore, &S::Ignore, &S::OnExitWhileStopping,
                    &S::OnReapedWhileStopping, &S::OnGraceElapsed, &S::Ignore, &S::Ignore,
                    &S::Ignore},
    /* exited   */ {&S::Start, &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore,
                    &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore},
    /* backoff  */ {&S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore,
                    &S::Launch, &S::StopIdle, &S::Block, &S::Ignore},
    /* failed   */ {&S::Start, &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore,
                    &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore},
    /* blocked  */ {&S::Start, &S::Ignore, &S::Ignore, &S::Ignore, &S::Ignore,
                    &S::Ignore, &S::StopIdle, &S::Ignore, &S::Ignore},
};

Service::Service(ServiceConfig cfg, KillMode default_kill_mode, ServiceHost* host)
    : cfg_(std::move(cfg)), kill_mode_(cfg_.kill_mode.value_or(default_kill_mode)), host_(host) {}

void Service::Reconfigure(ServiceConfig cfg, KillMode default_kill_mode) {
  cfg_ = std::move(cfg);
  kill_mode_ = cfg_.kill_mode.value_or(default_kill_mode);
}

void Service::Handle(Event e, int status) {
  Debug("{}: {} in state {}", name(), EventName(e), StateName(state_));
  if (e == Event::kStart) want_ = Want::kUp;  // while stopping: up again after the stop
  if (e == Event::kStop) want_ = Want::kDown;
  // Loaded into a local first: GCC 12's UBSan mis-instruments an indexed
  // call through an array of pointers to member functions.
  Handler handler = kTable[int(state_)][int(e)];
  (this->*handler)(status);
}

bool Service::IsDown() const {
  return state_ == State::kStopped || state_ == State::kExited || state_ == State::kFailed ||
         state_ == State::kBlocked;
}

bool Service::SatisfiesDependents() const {
  return cfg_.type == ServiceType::kOneshot ? state_ == State::kExited : state_ == State::kReady;
}

void Service::Transition(State next) {
  State old = state_;
  state_ = next;
  host_->StateChanged(*this, old);
}

// Down and wanted up: wait for the dependencies (kStarting).
void Service::Start(int) {
  if (state_ == State::kFailed || state_ == State::kBlocked) failures_in_row_ = 0;
  Transition(State::kStarting);
}

void Service::Launch(int) {
  LaunchFailure failure;
  ready_timed_out_ = false;
  adopted_ = false;
  pid_t pid = host_->Launch(*this, &failure);
  if (pid < 0) {
    has_exited_ = true;
    last_status_ = (failure.exit_code & 0xff) << 8;  // as if it had exited with it
    if (failure.final) {
      ++failures_in_row_;
      Transition(State::kFailed);  // backing off would only repeat the error
      return;
    }
    AfterFailure(failure.exit_code);
    return;
  }
  pid_ = pid;
  sigkill_sent_ = false;
  started_at_ = host_->Now();
  bool ready_now =
      cfg_.type == ServiceType::kLongrun && cfg_.ready.kind == ReadyCheck::Kind::kNone;
  if (cfg_.type == ServiceType::kLongrun && !ready_now) host_->SetTimer(*this, cfg_.ready.timeout);
  Transition(State::kRunning);
  if (ready_now) BecomeReady(0);
}

void Service::BecomeReady(int) {
  host_->CancelTimer(*this);
  Transition(State::kReady);
}

void Service::OnExit(int status) {
  // A daemonizing command (pid_file): its exit 0 hands over to the daemon.
  if (!cfg_.pid_file.empty() && !adopted_ && IsSuccess(status) && !ready_timed_out_) {
    pid_t daemon = host_->AdoptDaemon(*this);
    if (daemon > 0) {
      pid_ = daemon;
      adopted_ = true;
      return;
    }
    status = 1 << 8;  // no daemon to supervise: a failed start
  }
  pid_t old = pid_;
  pid_ = 0;
  has_exited_ = true;
  last_status_ = status;
  host_->CancelTimer(*this);
  // What the service left in its group would otherwise outlive it.
  if (group_kill() && host_->GroupAlive(old)) {
    host_->Kill(old, true, SIGTERM);
    host_->Kill(old, true, SIGCONT);
  }
  bool ok = IsSuccess(status) && !ready_timed_out_;
  if (host_->Now() - started_at_ >= kStableRun) failures_in_row_ = 0;
  if (ok) {
    failures_in_row_ = 0;
    if (cfg_.type == ServiceType::kLongrun && cfg_.restart == RestartPolicy::kAlways) {
      ++restarts_;
      host_->SetTimer(*this, BackoffDelay());
      Transition(State::kBackoff);
      return;
    }
    Transition(State::kExited);
    return;
  }
  AfterFailure(ExitCodeOf(status));
}

// A failed run: back off and retry, or give up for good.
void Service::AfterFailure(int) {
  ++failures_in_row_;
  bool retry = cfg_.restart != RestartPolicy::kNo &&
               (cfg_.max_restarts == 0 || failures_in_row_ <= cfg_.max_restarts);
  if (!retry) {
    Transition(State::kFailed);
    return;
  }
  ++restarts_;
  host_->SetTimer(*this, BackoffDelay());
  Transition(State::kBackoff);
}

Clock::duration Service::BackoffDelay() const {
  Clock::duration d = cfg_.restart_delay;
  for (int i = 1; i < failures_in_row_ && d < cfg_.restart_delay_max; ++i) d *= 2;
  return std::min<Clock::duration>(d, cfg_.restart_delay_max);
}

// Not ready in time: a failed start, but the process may be a database in
// crash recovery, so it is stopped as every stop is (stop signal or
// stop_command, grace, then SIGKILL); FinishStop() then backs off or gives up.
void Service::OnReadyTimeout(int) {
  ready_timed_out_ = true;
  std::string how = cfg_.stop_command.empty() ? SignalName(cfg_.stop_signal) : "its stop_command";
  Warning("{}: not ready after {}; steward is stopping it ({}, SIGKILL after {}) and counts it "
          "as a failed start",
          name(), FormatDuration(cfg_.ready.timeout), how,
          FormatDuration(std::chrono::duration_cast<Duration>(EffectiveGrace())));
  StopRunning(0);
}

void Service::SendStop() {
  if (!cfg_.stop_command.empty() && host_->RunStopCommand(*this)) return;
  host_->Kill(pid_, group_kill(), cfg_.stop_signal);
  // A stopped (SIGSTOP'd) process would never see the signal.
  if (cfg_.stop_signal != SIGKILL) host_->Kill(pid_, group_kill(), SIGCONT);
}

Clock::duration Service::EffectiveGrace() const {
  return std::min<Clock::duration>(cfg_.stop_grace_period, grace_limit_);
}

void Service::StopRunning(int) {
  host_->CancelTimer(*this);
  main_exited_ = false;
  grace_ = std::max<Clock::duration>(EffectiveGrace(), Clock::duration::zero());
  host_->SetTimer(*this, grace_);
  Transition(State::kStopping);
  SendStop();
}

void Service::OnExitWhileStopping(int status) {
  has_exited_ = true;
  last_status_ = status;
  main_exited_ = true;
  if (group_kill() && host_->GroupAlive(pid_)) return;  // wait for the rest of the group
  FinishStop();
}

void Service::OnReapedWhileStopping(int) {
  if (main_exited_ && !host_->GroupAlive(pid_)) FinishStop();
}

void Service::OnGraceElapsed(int) {
  Warning("{}: still running {} after {}; sending SIGKILL", name(),
          FormatDuration(std::chrono::duration_cast<Duration>(grace_)),
          cfg_.stop_command.empty() ? SignalName(cfg_.stop_signal) : "its stop_command");
  sigkill_sent_ = true;
  host_->Kill(pid_, group_kill(), SIGKILL);
}

bool Service::Killable() const {
  bool has_process = state_ == State::kRunning || state_ == State::kReady || state_ == State::kStopping;
  return pid_ != 0 && has_process && !sigkill_sent_;
}

void Service::KillNow() {
  if (pid_ == 0) return;
  if (state_ == State::kRunning || state_ == State::kReady || state_ == State::kStopping) {
    sigkill_sent_ = true;
    host_->Kill(pid_, group_kill(), SIGKILL);
  }
}

void Service::FinishStop() {
  host_->CancelTimer(*this);
  pid_ = 0;
  main_exited_ = false;
  if (ready_timed_out_ && want_ == Want::kUp) {
    // Stopped for a readiness timeout: a failed start (back-off, or failed
    // for good), not a stop the user asked for.
    AfterFailure(ExitCodeOf(last_status_));
    return;
  }
  Transition(State::kStopped);
  // Still wanted up (a restart): wait for the dependencies again.
  if (want_ == Want::kUp) Transition(State::kStarting);
}

void Service::StopIdle(int) {
  host_->CancelTimer(*this);
  Transition(State::kStopped);
}

void Service::Block(int) {
  host_->CancelTimer(*this);
  Transition(State::kBlocked);
}

void Service::RestartUnhealthy(int) {
  if (!cfg_.healthcheck.restart_on_unhealthy) return;
  Warning("{}: unhealthy; restarting", name());
  ++restarts_;
  StopRunning(0);  // the want stays up: FinishStop starts it again
}

}  // namespace steward
