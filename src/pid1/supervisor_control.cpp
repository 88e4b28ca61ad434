// The control verbs of SPEC §6 as the Supervisor answers them: status,
// start/stop/restart of a set of services, signal, shutdown, health. Pure
// policy: answers go out through ControlDone, signals through the host.
#include <algorithm>

#include "steward/pid1/supervisor.hpp"
#include "steward/util/diag.hpp"
#include "supervisor_slot.hpp"

namespace steward {

std::vector<ServiceStatus> Supervisor::Status() const {
  std::vector<ServiceStatus> out;
  Clock::time_point now = services_->Now();
  for (const auto& slot : slots_) {
    const Service& s = *slot->svc;
    if (!s.config().enabled) continue;
    ServiceStatus st;
    st.name = s.name();
    st.state = s.state();
    st.pid = s.pid();
    bool running = s.pid() > 0 && (s.state() == State::kRunning || s.state() == State::kReady ||
                                   s.state() == State::kStopping);
    if (running) st.uptime = now - s.started_at();
    st.restarts = s.restarts();
    st.ready = s.SatisfiesDependents();
    // Health belongs to a run: blank (`-`) once the service is not up.
    st.health = s.state() == State::kReady ? services_->HealthOf(s) : Health::kNone;
    if (st.health != Health::kNone) st.health_check = services_->LastHealthCheck(s);
    st.has_exited = s.has_exited();
    st.last_status = s.last_status();
    st.blocked_by = s.state() == State::kBlocked ? slot->blocked_by : "";
    st.main = s.config().main;
    st.type = s.config().type;
    out.push_back(std::move(st));
  }
  return out;
}

bool Supervisor::ResolveNames(const std::vector<std::string>& names, std::vector<Slot*>* out,
                              ControlDone* done) {
  std::string unknown;
  for (const std::string& n : names) {
    Slot* slot = Find(n);
    if (!slot) {
      unknown += (unknown.empty() ? "" : ", ") + n;
    } else if (std::find(out->begin(), out->end(), slot) == out->end()) {
      out->push_back(slot);
    }
  }
  if (!unknown.empty()) {
    (*done)(2, fmt::format("unknown service: {} (see steward ctl status)\n", unknown));
    return false;
  }
  if (out->empty()) {
    (*done)(2, "no service named\n");
    return false;
  }
  return true;
}

// The set closed under dependencies (for a start) or dependents (for a stop).
std::vector<Supervisor::Slot*> Supervisor::WithDependencies(const std::vector<Slot*>& slots,
                                                           bool dependents) const {
  std::vector<std::string> names;
  for (Slot* s : slots) names.push_back(s->svc->name());
  std::vector<Slot*> set;
  for (const std::string& name : graph_.Closure(names, dependents)) {
    if (Slot* s = Find(name)) set.push_back(s);
  }
  return set;
}

namespace {
bool HasProcess(const Service& s) { return s.state() == State::kRunning || s.state() == State::kReady; }
template <typename SlotT>
bool Named(const std::vector<SlotT*>& named, const SlotT* s) {
  return std::find(named.begin(), named.end(), s) != named.end();
}
}  // namespace

// What a start will have done, one line per service ("started db"); the
// services named get a line even when there was nothing to do.
std::string Supervisor::StartReport(const std::vector<Slot*>& set, const std::vector<Slot*>& named) {
  std::string out;
  for (auto it = set.rbegin(); it != set.rend(); ++it) {  // dependencies first
    Slot* s = *it;
    if (!HasProcess(*s->svc)) {
      out += fmt::format("started {}\n", s->svc->name());
    } else if (Named(named, s)) {
      out += fmt::format("{}: already running\n", s->svc->name());
    }
  }
  return out;
}

void Supervisor::ControlStart(const std::vector<std::string>& names, bool wait, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  if (phase_ != Phase::kRunning) return done(1, "steward is stopping\n");
  std::vector<Slot*> set = WithDependencies(slots, false);
  StartSet(set, wait, std::move(done), StartReport(set, slots));
}

void Supervisor::ControlStop(const std::vector<std::string>& names, bool wait, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  std::vector<Slot*> set = WithDependencies(slots, true);
  std::string report;
  for (auto it = set.rbegin(); it != set.rend(); ++it) {  // dependents first, as they stop
    Slot* s = *it;
    if (s->svc->config().main)
      return done(2, fmt::format("{} is the main program; use steward ctl shutdown\n", s->svc->name()));
    if (!s->svc->IsDown()) {
      report += fmt::format("stopped {}\n", s->svc->name());
    } else if (Named(slots, s)) {
      report += fmt::format("{}: not running\n", s->svc->name());
    }
  }
  StopSet(set, wait, std::move(done), {}, std::move(report));
}

// Only the services named (SPEC §6): their dependents keep running, as
// under a reload that restarts a changed service, unless with_dependents.
// Each one that was up counts as a restart in ctl status.
void Supervisor::ControlRestart(const std::vector<std::string>& names, bool wait,
                                bool with_dependents, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  if (phase_ != Phase::kRunning) return done(1, "steward is stopping\n");
  std::vector<Slot*> set = with_dependents ? WithDependencies(slots, true) : slots;
  std::string report;
  for (Slot* s : set) {
    if (s->svc->config().main)
      return done(2, fmt::format("{} is the main program; it cannot be restarted\n", s->svc->name()));
  }
  for (Slot* s : set) {
    report += fmt::format("{} {}\n", s->svc->IsDown() ? "started" : "restarted", s->svc->name());
    if (!s->svc->IsDown()) s->svc->CountRestart();
  }
  // Once stopped, the set comes back, with whatever it needs that is down.
  std::vector<Slot*> then_start = WithDependencies(set, false);
  for (Slot* s : then_start) {
    if (!Named(set, s) && !HasProcess(*s->svc)) report += fmt::format("started {}\n", s->svc->name());
  }
  StopSet(set, wait, std::move(done), std::move(then_start), std::move(report));
}

void Supervisor::StartSet(const std::vector<Slot*>& set, bool wait, ControlDone done,
                          std::string report) {
  // What a reload is taking down comes back through the reload only.
  std::string busy;
  for (Slot* s : set) {
    if (Reloading(s))
      busy += fmt::format("{}: a reload is restarting or removing it; try again once it is done\n",
                          s->svc->name());
  }
  if (!busy.empty()) {
    if (done) done(1, busy);
    return;
  }
  for (Slot* s : set) s->svc->Handle(Event::kStart);
  if (wait) pending_.push_back({true, set, std::move(done), {}, std::move(report)});
  dirty_ = true;
  if (!wait && done) done(0, "");
}

void Supervisor::StopSet(const std::vector<Slot*>& set, bool wait, ControlDone done,
                         std::vector<Slot*> then_start, std::string report) {
  // Wanted down now; Settle() stops them in reverse dependency order.
  for (Slot* s : set) s->svc->SetWant(Want::kDown);
  bool restart = !then_start.empty();
  if (wait || restart)
    pending_.push_back({false, set, wait ? std::move(done) : nullptr, std::move(then_start),
                        std::move(report)});
  dirty_ = true;
  if (!wait && done) done(0, "");
}

// Part of every Settle() pass: a request is done when each of its services
// has settled — up or failed for a start, down for a stop.
void Supervisor::CheckPending() {
  for (size_t i = 0; i < pending_.size();) {
    PendingOp& op = pending_[i];
    bool settled = true;
    std::string failed;
    for (Slot* s : op.targets) {
      State st = s->svc->state();
      if (op.start) {
        bool up = s->svc->SatisfiesDependents();
        bool bad = st == State::kFailed || st == State::kBlocked || st == State::kStopped ||
                   (st == State::kExited && !up);
        settled = settled && (up || bad);
        if (bad) failed += fmt::format("{}: {}\n", s->svc->name(), StateName(st));
      } else {
        settled = settled && s->svc->IsDown();
      }
    }
    if (!settled && phase_ == Phase::kRunning) {
      ++i;
      continue;
    }
    PendingOp done = std::move(op);
    pending_.erase(pending_.begin() + long(i));
    if (!done.then_start.empty() && phase_ == Phase::kRunning) {
      // A restart's second half: wanted up again; the next pass starts it.
      bool wait = bool(done.done);  // before the move: argument order is unspecified
      StartSet(done.then_start, wait, std::move(done.done), std::move(done.report));
      continue;
    }
    if (!done.done) continue;
    if (phase_ != Phase::kRunning && !settled) {
      done.done(1, "steward is stopping\n");
    } else {
      done.done(failed.empty() ? 0 : 1, failed.empty() ? done.report : failed);
    }
  }
}

void Supervisor::ControlSignal(int sig, const std::vector<std::string>& names, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  std::string not_running;
  for (Slot* s : slots) {
    if (s->svc->pid() > 0) {
      services_->Kill(s->svc->pid(), s->svc->group_kill(), sig);
    } else {
      not_running += fmt::format("{}: not running\n", s->svc->name());
    }
  }
  done(not_running.empty() ? 0 : 1, not_running);
}

void Supervisor::ControlShutdown(std::optional<int> exit_code) {
  Recorded r{Recorded::Kind::kStopEvent};
  r.event = StopEvent::kShutdown;
  r.code = exit_code;
  r.why = "steward ctl shutdown";
  Record(r);
}

void Supervisor::ControlHealth(ControlDone done) const {
  std::string bad;
  int total = 0;
  for (const ServiceStatus& st : Status()) {
    ++total;
    if (!st.ready) {
      bad += fmt::format("{}: {}\n", st.name, StateName(st.state));
    } else if (st.health == Health::kUnhealthy) {
      bad += fmt::format("{}: unhealthy\n", st.name);
    }
  }
  if (bad.empty()) {
    done(0, fmt::format("healthy: {} service{} up and ready\n", total, total == 1 ? "" : "s"));
  } else {
    done(1, bad);
  }
}

}  // namespace steward
