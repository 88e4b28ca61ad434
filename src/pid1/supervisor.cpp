// The supervisor's policy: events recorded, then one settle pass that starts
// what may start and stops what must stop (the stop table: stop_sequence.cpp).
#include "steward/pid1/supervisor.hpp"

#include <signal.h>

#include <algorithm>

#include "steward/util/exit_status.hpp"
#include "steward/util/signals.hpp"
#include "supervisor_slot.hpp"
#include "steward/util/diag.hpp"

namespace steward {

Supervisor::Supervisor(SupervisorSettings settings, Config config, SupervisorHosts hosts)
    : settings_(std::move(settings)), config_(std::move(config)), services_(hosts.services),
      stop_(hosts.stop), reload_host_(hosts.reload) {
  for (const ServiceConfig& cfg : config_.services) {
    auto slot = std::make_unique<Slot>();
    slot->svc = std::make_unique<Service>(cfg, settings_.kill_mode, services_);
    slots_.push_back(std::move(slot));
  }
  RebuildGraph();
}

Supervisor::~Supervisor() = default;

std::vector<Service*> Supervisor::services() {
  std::vector<Service*> out;
  for (auto& slot : slots_) out.push_back(slot->svc.get());
  return out;
}

Supervisor::Slot* Supervisor::Find(const std::string& name) const {
  for (auto& slot : slots_) {
    if (slot->svc->name() == name && slot->svc->config().enabled) return slot.get();
  }
  return nullptr;
}

// The slot of a Service this supervisor owns (every ServiceHost call).
Supervisor::Slot* Supervisor::SlotOf(const Service& s) {
  for (auto& slot : slots_) {
    if (slot->svc.get() == &s) return slot.get();
  }
  return nullptr;  // impossible: every Service is created here
}

Supervisor::Slot* Supervisor::MainSlot() {
  for (auto& slot : slots_) {
    if (slot->svc->config().main && slot->svc->config().enabled) return slot.get();
  }
  return nullptr;
}

void Supervisor::Start() {
  bool any = false;
  for (auto& slot : slots_) {
    if (!slot->svc->config().enabled) continue;
    any = true;
    slot->svc->Handle(Event::kStart);
  }
  if (!any) Info("no enabled services; waiting for a signal");
  dirty_ = true;
}

// ---- events: each one records, Settle() acts -------------------------------

void Supervisor::Record(Recorded r) {
  recorded_.push_back(std::move(r));
  dirty_ = true;
}

void Supervisor::OnSignal(int sig) {
  Recorded r{Recorded::Kind::kSignal};
  r.sig = sig;
  Record(r);
}

void Supervisor::OnReaped(pid_t pid, int status, bool helper) {
  if (!helper) {
    if (auto s = by_pid_.find(pid); s != by_pid_.end()) {
      Slot* slot = s->second;
      by_pid_.erase(s);
      services_->ProcessGone(*slot->svc);
      slot->svc->Handle(Event::kExit, status);
      // A pid_file command's exit 0 hands the service to its daemon.
      pid_t now = slot->svc->pid();
      if (now > 0 && now != pid) by_pid_[now] = slot;
    } else if (settings_.log_orphans) {
      Warning("Reaped zombie process with pid={} ({})", pid, DescribeWaitStatus(status));  // tini's -w
    }
  }
  // Any reap may have emptied a stopping service's group.
  for (auto& slot : slots_) {
    if (slot->svc->state() == State::kStopping) slot->svc->Handle(Event::kReaped);
  }
  Recorded r{Recorded::Kind::kStopEvent};
  r.event = StopEvent::kReaped;
  Record(r);
}

void Supervisor::OnServiceTimer(Service& s) {
  s.Handle(Event::kTimer);
  dirty_ = true;
}

void Supervisor::OnServiceReady(Service& s) {
  s.Handle(Event::kReady);
  dirty_ = true;
}

void Supervisor::OnServiceUnhealthy(Service& s) {
  s.Handle(Event::kUnhealthy);
  dirty_ = true;
}

void Supervisor::OnStopEvent(StopEvent e) {
  Recorded r{Recorded::Kind::kStopEvent};
  r.event = e;
  Record(r);
}

void Supervisor::OnConfigVolumeChanged() { ControlReload(nullptr); }

void Supervisor::ControlReload(ControlDone done) {
  Recorded r{Recorded::Kind::kReload};
  r.done = std::move(done);
  Record(std::move(r));
}

void Supervisor::HandleSignal(int sig) {
  Slot* main = MainSlot();
  pid_t main_pid = main ? main->svc->pid() : 0;
  if (settings_.wrapper_mode) {
    // tini's contract: everything goes to the child, nothing is acted on.
    if (main_pid > 0) services_->Kill(main_pid, main->svc->group_kill(), sig);
    return;
  }
  if (sig == SIGTERM || sig == SIGINT) {
    Dispatch(StopEvent::kTerm, std::nullopt, fmt::format("received {}", SignalName(sig)));
  } else if (sig == SIGQUIT) {
    Dispatch(StopEvent::kShutdown, std::nullopt, fmt::format("received {}", SignalName(sig)));
  } else if (sig == SIGHUP) {
    Info("received SIGHUP: reloading the configuration");
    ReadAndReload(nullptr);
  } else if (main_pid > 0) {
    services_->Kill(main_pid, main->svc->group_kill(), sig);
  } else if (sig == SIGWINCH) {
    Debug("received SIGWINCH; no main program to forward it to");  // each terminal resize
  } else {
    // docker kill -s USR1 on a container of services: nobody to give it to.
    // Said, so that the sender learns where it went; `ctl signal` reaches
    // the services (SPEC §4).
    Info("received {}: no main program to forward it to; ignored (to signal a service: "
         "steward ctl signal {} NAME)",
         SignalName(sig), SignalName(sig));
  }
}

// ---- settling: what may start, what must stop -----------------------------

void Supervisor::Settle() {
  while (dirty_) {
    dirty_ = false;
    // What the handlers recorded, in the order it happened.
    std::vector<Recorded> recorded = std::move(recorded_);
    recorded_.clear();
    for (Recorded& r : recorded) {
      switch (r.kind) {
        case Recorded::Kind::kSignal: HandleSignal(r.sig); break;
        case Recorded::Kind::kMove: Moved(*r.slot, r.old_state, r.new_state); break;
        case Recorded::Kind::kStopEvent: Dispatch(r.event, r.code, r.why); break;
        case Recorded::Kind::kReload: ReadAndReload(std::move(r.done)); break;
      }
    }
    // Then what follows from the states now.
    for (auto& slot : slots_) SettleOne(*slot);
    CheckPending();
    CheckReload();
    if (phase_ == Phase::kStopping && AllDown()) Dispatch(StopEvent::kAllDown);
  }
}

bool Supervisor::AllDown() const {
  for (const auto& slot : slots_) {
    if (slot->svc->config().enabled && !slot->svc->IsDown()) return false;
  }
  return true;
}

void Supervisor::SettleOne(Slot& slot) {
  Service& s = *slot.svc;
  if (!s.config().enabled) return;
  if (phase_ == Phase::kRunning && s.want() == Want::kUp && s.state() == State::kStarting) {
    bool all_ready = true;
    for (const std::string& name : graph_.DependenciesOf(s.name())) {
      Slot* d = Find(name);
      if (!d) continue;
      State ds = d->svc->state();
      bool never = ds == State::kFailed || ds == State::kBlocked ||
                   (ds == State::kExited && d->svc->config().type == ServiceType::kLongrun);
      if (never) {
        slot.blocked_by = ds == State::kBlocked ? d->blocked_by : d->svc->name();
        s.Handle(Event::kBlock);
        return;
      }
      all_ready = all_ready && d->svc->SatisfiesDependents();
    }
    if (all_ready) s.Handle(Event::kDepsReady);
    return;
  }
  bool stopping = phase_ != Phase::kRunning || s.want() == Want::kDown;
  if (stopping && !s.IsDown() && s.state() != State::kStopping) {
    // Reverse order: only once everything that depends on it and goes down
    // too is down. While running, a dependent that stays up (a reload
    // restarts a changed service under an unchanged one) is not waited for.
    for (const std::string& name : graph_.DependentsOf(s.name())) {
      Slot* d = Find(name);
      if (!d) continue;
      bool goes_down = phase_ != Phase::kRunning || d->svc->want() == Want::kDown;
      if (goes_down && !d->svc->IsDown()) return;
    }
    if (phase_ != Phase::kRunning) FitInBudget(s);
    s.Handle(Event::kStop);
    if (killed_) s.KillNow();
  }
}

// Called inside the Service's transition, once the host has moved the
// probes: logs it and records it for Settle(); no policy runs here.
void Supervisor::OnServiceMoved(Service& s, State old) {
  Slot* slot = SlotOf(s);
  dirty_ = true;
  if (s.state() == State::kRunning && s.pid() > 0) by_pid_[s.pid()] = slot;  // launched
  // As under tini, wrapper mode says nothing about its one program.
  if (!settings_.wrapper_mode) LogTransition(*slot, old);
  Recorded r{Recorded::Kind::kMove};
  r.slot = slot;
  r.old_state = old;
  r.new_state = s.state();
  Record(r);
}

// What a transition means for steward as a whole: the main program's end
// and a failure with on_failure = "shutdown" start the stop sequence.
void Supervisor::Moved(Slot& slot, State, State now) {
  Service& s = *slot.svc;
  bool gone = now == State::kExited || now == State::kBackoff || now == State::kFailed;
  if (s.config().main) {
    if (phase_ == Phase::kRunning && gone) {
      MainGone(s);
    } else if (phase_ == Phase::kRunning && now == State::kBlocked) {
      Slot* dep = Find(slot.blocked_by);
      int dep_code = dep && dep->svc->has_exited() ? ExitCodeOf(dep->svc->last_status()) : 1;
      Dispatch(StopEvent::kShutdown, dep_code,
               fmt::format("{} cannot start: '{}' failed", s.name(), slot.blocked_by));
    } else if (phase_ != Phase::kRunning && s.has_exited() && (gone || now == State::kStopped) &&
               !exit_code_set_) {
      // Stopped by a signal: steward exits with main's status, as tini does.
      MainGone(s);
    }
  } else if (now == State::kFailed && s.config().on_failure == OnFailure::kShutdown) {
    int code = s.has_exited() ? ExitCodeOf(s.last_status()) : 1;
    Dispatch(StopEvent::kShutdown, code,
             fmt::format("{} failed and has on_failure = \"shutdown\"", s.name()));
  }
}

void Supervisor::MainGone(Service& s) {
  int code = s.has_exited() ? ExitCodeOf(s.last_status()) : 1;
  if (std::find(settings_.remap_exit.begin(), settings_.remap_exit.end(), code) !=
      settings_.remap_exit.end())
    code = 0;
  Dispatch(StopEvent::kMainGone, code,
           fmt::format("{} {}", s.name(), DescribeWaitStatus(s.last_status())));
}

void Supervisor::LogTransition(const Slot& slot, State old) {
  const Service& s = *slot.svc;
  switch (s.state()) {
    case State::kRunning:
      Info("{}: started (pid {})", s.name(), s.pid());
      break;
    case State::kReady:
      if (s.config().ready.kind != ReadyCheck::Kind::kNone) Info("{}: ready", s.name());
      break;
    case State::kExited:
      Info("{}: {}", s.name(), DescribeWaitStatus(s.last_status()));
      break;
    case State::kBackoff:
      if (!(s.config().main && phase_ == Phase::kRunning))
        Warning("{}: {}; restarting", s.name(), DescribeWaitStatus(s.last_status()));
      break;
    case State::kFailed:
      // The main program's end is the container's end, not a failure of
      // steward's: said as such (the stop sequence's line follows).
      if (s.config().main && phase_ == Phase::kRunning && s.has_exited()) {
        Info("{}: {}: the main program has ended; the container exits with it", s.name(),
             DescribeWaitStatus(s.last_status()));
        break;
      }
      Error("{}: failed for good: {}", s.name(),
            s.has_exited() ? DescribeWaitStatus(s.last_status()) : "never started");
      break;
    case State::kBlocked:
      Warning("{}: blocked: dependency '{}' failed", s.name(), slot.blocked_by);
      break;
    case State::kStopped:
      if (old == State::kStopping) Info("{}: stopped ({})", s.name(), DescribeWaitStatus(s.last_status()));
      break;
    case State::kStarting:
    case State::kStopping:
      break;
  }
}

}  // namespace steward
