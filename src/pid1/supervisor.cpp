#include "steward/pid1/supervisor.hpp"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "steward/control/control.hpp"
#include "steward/util/diag.hpp"
#include "steward/config/env_file.hpp"
#include "steward/pid1/exit_status.hpp"
#include "steward/pid1/procs.hpp"
#include "steward/pid1/spawn.hpp"

namespace steward {

namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void SetEnv(std::vector<std::string>* env, const std::string& key, const std::string& value) {
  std::string prefix = key + "=";
  for (std::string& e : *env) {
    if (e.compare(0, prefix.size(), prefix) == 0) {
      e = prefix + value;
      return;
    }
  }
  env->push_back(prefix + value);
}

}  // namespace

// Everything the supervisor keeps for one service.
struct Supervisor::Slot {
  Supervisor* owner;
  std::unique_ptr<Service> svc;
  ev_timer timer{};  // the Service's one deadline
  std::unique_ptr<ReadinessProbe> ready;
  std::unique_ptr<HealthProbe> health;
  SpawnRequest req;                 // of the current run, reused by checks
  std::vector<Slot*> dependents;    // services whose depends_on names this one
  std::vector<Slot*> dependencies;
  std::string blocked_by;           // the failed dependency, when blocked
  bool stop_requested = false;      // `ctl stop`: down, in reverse order, until started again
};

Supervisor::Supervisor(struct ev_loop* loop, SupervisorSettings settings, Config config,
                       const InheritedSignals* signals)
    : loop_(loop), settings_(std::move(settings)), config_(std::move(config)),
      signals_(signals) {
  for (const ServiceConfig& cfg : config_.services) {
    auto slot = std::make_unique<Slot>();
    slot->owner = this;
    slot->svc = std::make_unique<Service>(cfg, settings_.kill_mode, this);
    ev_init(&slot->timer, OnServiceTimer);
    slot->timer.data = slot.get();
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) {
    const ServiceConfig& cfg = slot->svc->config();
    slot->ready = std::make_unique<ReadinessProbe>(
        loop_, cfg, settings_.runtime_dir, this, [this, s = slot.get()] {
          s->svc->Handle(Event::kReady);
          Settle();
        });
    slot->health = std::make_unique<HealthProbe>(loop_, cfg, this, [this, s = slot.get()] {
      s->svc->Handle(Event::kUnhealthy);
      Settle();
    });
    for (const std::string& dep : cfg.depends_on) {
      Slot* d = Find(dep);
      if (!d) continue;  // validated by LoadConfig; a disabled one is not here
      slot->dependencies.push_back(d);
      d->dependents.push_back(slot.get());
    }
  }
  if (!settings_.wrapper_mode)
    logs_ = std::make_unique<log::LogHub>(loop_, config_.global.log, settings_.runtime_dir);
  ev_init(&deadline_, OnDeadline);
  deadline_.data = this;
  ev_init(&grace_, OnGrace);
  grace_.data = this;
}

Supervisor::~Supervisor() {
  for (auto& slot : slots_) ev_timer_stop(loop_, &slot->timer);
  for (auto& w : signal_watchers_) ev_signal_stop(loop_, w.get());
  ev_child_stop(loop_, &child_watcher_);
  ev_timer_stop(loop_, &deadline_);
  ev_timer_stop(loop_, &grace_);
}

Supervisor::Slot* Supervisor::Find(const std::string& name) {
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

int Supervisor::Run() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (!IsForwardable(sig)) continue;
    auto w = std::make_unique<ev_signal>();
    ev_signal_init(w.get(), OnSignal, sig);
    w->data = this;
    ev_signal_start(loop_, w.get());
    signal_watchers_.push_back(std::move(w));
  }
  // pid 0: every child, orphans included, is reaped here.
  ev_child_init(&child_watcher_, OnChild, 0, 0);
  child_watcher_.data = this;
  ev_child_start(loop_, &child_watcher_);

  // /dev/log is bound and the forwarder runs before any service starts, so
  // not even a service's first line can be lost.
  if (logs_) {
    // Console prefixes are padded to the longest name from the first line.
    std::vector<std::pair<std::string, ServiceLogConfig>> expected;
    for (auto& slot : slots_) {
      if (slot->svc->config().enabled) expected.emplace_back(slot->svc->name(), slot->svc->config().log);
    }
    logs_->Expect(expected);
    std::string err;
    if (!logs_->Start(&err)) Warning("logs: {}; services write to steward's stdout instead", err);
  }

  // `steward ctl` works from the first moment, also while stopping.
  if (!settings_.wrapper_mode && !settings_.runtime_dir.empty()) {
    control_ = std::make_unique<ControlServer>(loop_, this, settings_.runtime_dir + "/control.sock",
                                               config_.global.control_gid);
    std::string err;
    if (!control_->Start(&err)) {
      Warning("control socket: {}; steward ctl will not work", err);
      control_.reset();
    }
  }

  bool any = false;
  for (auto& slot : slots_) {
    if (!slot->svc->config().enabled) continue;
    any = true;
    slot->svc->Handle(Event::kStart);
  }
  if (!any) {
    Info("no enabled services; waiting for a signal");
  }
  Settle();
  if (phase_ != Phase::kDone) ev_run(loop_, 0);
  return exit_code_;
}

// ---- events -------------------------------------------------------------

void Supervisor::OnSignal(struct ev_loop*, ev_signal* w, int) {
  static_cast<Supervisor*>(w->data)->HandleSignal(w->signum);
}

void Supervisor::OnChild(struct ev_loop*, ev_child* w, int) {
  static_cast<Supervisor*>(w->data)->HandleExit(w->rpid, w->rstatus);
}

void Supervisor::OnServiceTimer(struct ev_loop*, ev_timer* w, int) {
  auto* slot = static_cast<Slot*>(w->data);
  slot->svc->Handle(Event::kTimer);
  slot->owner->Settle();
}

void Supervisor::HandleSignal(int sig) {
  Slot* main = MainSlot();
  pid_t main_pid = main ? main->svc->pid() : 0;
  if (settings_.wrapper_mode) {
    // tini's contract: everything goes to the child, nothing is acted on.
    if (main_pid > 0) Kill(main_pid, main->svc->group_kill(), sig);
    return;
  }
  if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
    if (phase_ == Phase::kRunning) {
      BeginShutdown(std::nullopt, fmt::format("received {}", SignalName(sig)));
    } else if (sig != SIGQUIT && !killed_) {
      Warning("received {} again; killing everything now", SignalName(sig));
      KillEverything();
    }
  } else if (sig == SIGHUP) {
    Warning("received SIGHUP: reload is not supported yet; ignoring it");
  } else if (main_pid > 0) {
    Kill(main_pid, main->svc->group_kill(), sig);
  } else {
    Debug("received {}; no main program to forward it to", SignalName(sig));
  }
  Settle();
}

void Supervisor::HandleExit(pid_t pid, int status) {
  if (logs_ && logs_->IsForwarder(pid)) {
    logs_->OnForwarderExit(pid, status);  // restarts it at once, or ends the drain
    return;
  }
  if (auto h = helpers_.find(pid); h != helpers_.end()) {
    auto on_exit = std::move(h->second);
    helpers_.erase(h);
    if (on_exit) on_exit(status);
  } else if (auto s = by_pid_.find(pid); s != by_pid_.end()) {
    Slot* slot = s->second;
    by_pid_.erase(s);
    if (logs_) logs_->SetPid(slot->svc->name(), 0);
    slot->svc->Handle(Event::kExit, status);
  } else if (settings_.log_orphans) {
    Warning("Reaped zombie process with pid={} ({})", pid, DescribeWaitStatus(status));  // tini's -w
  }
  for (auto& slot : slots_) {
    if (slot->svc->state() == State::kStopping) slot->svc->Handle(Event::kReaped);
  }
  Settle();
  if (phase_ == Phase::kLeftovers && Descendants(ForwarderPid()).empty()) Finish();
}

pid_t Supervisor::ForwarderPid() const { return logs_ ? logs_->forwarder_pid() : 0; }

// ---- settling: what may start, what must stop -----------------------------

void Supervisor::Settle() {
  if (settling_) {
    dirty_ = true;
    return;
  }
  settling_ = true;
  do {
    dirty_ = false;
    for (auto& slot : slots_) SettleOne(*slot);
  } while (dirty_);
  settling_ = false;
  CheckPending();
  if (phase_ == Phase::kStopping) CheckStopDone();
}

bool Supervisor::SettleOne(Slot& slot) {
  Service& s = *slot.svc;
  if (!s.config().enabled) return false;
  if (phase_ == Phase::kRunning && !slot.stop_requested && s.state() == State::kStarting) {
    bool all_ready = true;
    for (Slot* d : slot.dependencies) {
      State ds = d->svc->state();
      bool never = ds == State::kFailed || ds == State::kBlocked ||
                   (ds == State::kExited && d->svc->config().type == ServiceType::kLongrun);
      if (never) {
        slot.blocked_by = ds == State::kBlocked ? d->blocked_by : d->svc->name();
        s.Handle(Event::kBlock);
        return true;
      }
      all_ready = all_ready && d->svc->SatisfiesDependents();
    }
    if (all_ready) {
      s.Handle(Event::kDepsReady);
      return true;
    }
    return false;
  }
  bool stopping = phase_ != Phase::kRunning || slot.stop_requested;
  if (stopping && !s.IsDown() && s.state() != State::kStopping) {
    // Reverse order: only once everything that depends on it is down.
    for (Slot* d : slot.dependents) {
      if (!d->svc->IsDown()) return false;
    }
    s.Handle(Event::kStop);
    if (killed_) s.KillNow();
    return true;
  }
  return false;
}

void Supervisor::StateChanged(Service& s, State old) {
  Slot* slot = SlotOf(s);
  State now = s.state();
  dirty_ = true;
  if (old == State::kRunning) slot->ready->End();
  if (old == State::kReady) slot->health->End();
  if (now == State::kReady) slot->health->Begin(slot->req);
  // As under tini, wrapper mode says nothing about its one program.
  if (!settings_.wrapper_mode) LogTransition(*slot, old);
  bool gone = now == State::kExited || now == State::kBackoff || now == State::kFailed;
  int code = s.has_exited() ? ExitCodeOf(s.last_status()) : 1;
  if (s.config().main) {
    if (phase_ == Phase::kRunning && gone) {
      OnMainGone(s);
    } else if (phase_ == Phase::kRunning && now == State::kBlocked) {
      Slot* dep = Find(slot->blocked_by);
      int dep_code = dep && dep->svc->has_exited() ? ExitCodeOf(dep->svc->last_status()) : 1;
      BeginShutdown(dep_code, fmt::format("{} cannot start: '{}' failed", s.name(), slot->blocked_by));
    } else if (phase_ != Phase::kRunning && s.has_exited() && (gone || now == State::kStopped) &&
               !exit_code_set_) {
      // Stopped by a signal: steward exits with main's status, as tini does.
      OnMainGone(s);
    }
  } else if (now == State::kFailed && s.config().on_failure == OnFailure::kShutdown) {
    BeginShutdown(code, fmt::format("{} failed and has on_failure = \"shutdown\"", s.name()));
  }
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

void Supervisor::OnMainGone(Service& s) {
  int code = s.has_exited() ? ExitCodeOf(s.last_status()) : 1;
  if (std::find(settings_.remap_exit.begin(), settings_.remap_exit.end(), code) !=
      settings_.remap_exit.end())
    code = 0;
  BeginShutdown(code, fmt::format("{} {}", s.name(), DescribeWaitStatus(s.last_status())));
  if (!exit_code_set_) {
    exit_code_ = code;
    exit_code_set_ = true;
  }
}

// ---- the stop sequence (SPEC §4) ------------------------------------------

void Supervisor::BeginShutdown(std::optional<int> code, const std::string& why) {
  if (code && !exit_code_set_) {
    exit_code_ = *code;
    exit_code_set_ = true;
  }
  if (phase_ != Phase::kRunning) return;
  phase_ = Phase::kStopping;
  if (!settings_.wrapper_mode) Info("stopping: {}", why);
  deadline_at_ = Clock::now() + settings_.shutdown_timeout;
  ev_timer_set(&deadline_, Seconds(settings_.shutdown_timeout), 0.);
  ev_timer_start(loop_, &deadline_);
  dirty_ = true;
}

void Supervisor::OnDeadline(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Supervisor*>(w->data);
  Warning("shutdown timeout of {} reached; sending SIGKILL to everything still running",
          FormatDuration(self->settings_.shutdown_timeout));
  self->KillEverything();
  self->Settle();
}

void Supervisor::KillEverything() {
  killed_ = true;
  for (auto& slot : slots_) slot->svc->KillNow();
  if (phase_ == Phase::kLeftovers) {
    ev_timer_stop(loop_, &grace_);
    SignalDescendants(SIGKILL, ForwarderPid());
  }
}

void Supervisor::CheckStopDone() {
  for (auto& slot : slots_) {
    if (slot->svc->config().enabled && !slot->svc->IsDown()) return;
  }
  BeginLeftovers();
}

// Step 4: whatever belongs to no service gets SIGTERM, then SIGKILL after
// --grace; steward goes on as soon as nothing is left.
void Supervisor::BeginLeftovers() {
  phase_ = Phase::kLeftovers;
  int sig = killed_ ? SIGKILL : SIGTERM;
  int n = SignalDescendants(sig, ForwarderPid());
  if (n == 0) {
    Finish();
    return;
  }
  SignalDescendants(SIGCONT, ForwarderPid());
  if (!settings_.wrapper_mode)
    Info("{} leftover process{}; sent {}", n, n == 1 ? "" : "es", SignalName(sig));
  if (!killed_) {
    ev_timer_set(&grace_, Seconds(settings_.grace), 0.);
    ev_timer_start(loop_, &grace_);
  }
}

void Supervisor::OnGrace(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Supervisor*>(w->data);
  int n = SignalDescendants(SIGKILL, self->ForwarderPid());
  if (n > 0) Warning("{} leftover process{} still running after {}; sent SIGKILL", n,
                     n == 1 ? "" : "es", FormatDuration(self->settings_.grace));
}

// Step 5: every service and leftover is gone; the forwarder reads every
// pipe to end of file and flushes every sink, then steward exits.
void Supervisor::Finish() {
  if (phase_ == Phase::kDraining || phase_ == Phase::kDone) return;
  ev_timer_stop(loop_, &deadline_);
  ev_timer_stop(loop_, &grace_);
  if (!logs_) {
    Exit();
    return;
  }
  phase_ = Phase::kDraining;
  // What is left of the deadline, but never less than a second: lines
  // written while stopping ("shutting down") are the ones users look for.
  Clock::time_point deadline = std::max(deadline_at_, Clock::now() + std::chrono::seconds(1));
  logs_->Drain(deadline, [this] { Exit(); });
}

void Supervisor::Exit() {
  phase_ = Phase::kDone;
  ev_break(loop_, EVBREAK_ALL);
}

// ---- ServiceHost ------------------------------------------------------------

SpawnRequest Supervisor::BuildRequest(const Service& s, bool* ok) {
  const ServiceConfig& cfg = s.config();
  SpawnRequest req;
  *ok = true;
  req.argv = cfg.command.argv;
  if (cfg.clear_env) {
    const char* path = getenv("PATH");
    req.env.push_back(std::string("PATH=") +
                      (path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    if (const char* v = getenv("HOME")) req.env.push_back(std::string("HOME=") + v);
    if (const char* v = getenv("USER")) req.env.push_back(std::string("USER=") + v);
  } else {
    req.env = CurrentEnvironment();
  }
  if (cfg.identity.set) {
    if (!cfg.identity.home.empty()) SetEnv(&req.env, "HOME", cfg.identity.home);
    if (!cfg.identity.name.empty()) {
      SetEnv(&req.env, "USER", cfg.identity.name);
      SetEnv(&req.env, "LOGNAME", cfg.identity.name);
    }
  }
  // Read at each start, so an edited env file applies at the next restart.
  for (const std::string& file : cfg.env_files) {
    std::vector<std::pair<std::string, std::string>> vars;
    std::string err;
    if (!ParseEnvFile(file, &vars, &err)) {
      Error("{}: env_file {}", s.name(), err);
      *ok = false;
      return req;
    }
    for (auto& [k, v] : vars) SetEnv(&req.env, k, v);
  }
  for (auto& [k, v] : cfg.environment) SetEnv(&req.env, k, v);
  // PROGRAM keeps steward's working directory, as under tini.
  req.working_dir = cfg.from_command_line ? "" : cfg.working_dir;
  req.identity = &cfg.identity;
  req.umask = cfg.umask;
  req.limits = &cfg.limits;
  req.no_new_privileges = cfg.no_new_privileges;
  req.new_process_group = true;
  req.foreground = cfg.from_command_line;
  if (!cfg.from_command_line) req.fds.emplace_back(0, -1);  // stdin: /dev/null
  req.signals = signals_;
  return req;
}

// The service's stdout and stderr become its two log pipes, held by the hub
// across restarts. PROGRAM keeps a terminal when it has one (docker run -it).
bool Supervisor::AttachLogs(const Service& s, SpawnRequest* req) {
  if (!logs_) return true;
  if (s.config().from_command_line && settings_.stdout_is_terminal) return true;
  int out_w, err_w;
  std::string err;
  if (!logs_->Attach(s.name(), s.config().log, &out_w, &err_w, &err)) {
    Error("{}: logs: {}", s.name(), err);
    return false;
  }
  req->fds.emplace_back(1, out_w);
  req->fds.emplace_back(2, err_w);
  return true;
}

pid_t Supervisor::Launch(Service& s, int* failed_exit_code) {
  Slot* slot = SlotOf(s);
  bool ok;
  SpawnRequest req = BuildRequest(s, &ok);
  if (!ok) {
    *failed_exit_code = 1;
    return -1;
  }
  std::string err;
  if (!AttachLogs(s, &req)) {
    *failed_exit_code = 1;
    return -1;
  }
  bool probe = s.config().type == ServiceType::kLongrun &&
               s.config().ready.kind != ReadyCheck::Kind::kNone;
  if (probe && !slot->ready->Arm(&req, &err)) {
    Error("{}: ready: {}", s.name(), err);
    *failed_exit_code = 1;
    return -1;
  }
  SpawnError serr;
  pid_t pid = Spawn(req, &serr);
  if (pid < 0) {
    Error("{}: {}", s.name(), serr.message);
    slot->ready->End();
    *failed_exit_code = serr.exit_code;
    return -1;
  }
  by_pid_[pid] = slot;
  if (logs_) logs_->SetPid(s.name(), pid);
  slot->req = std::move(req);
  if (probe) slot->ready->Begin();
  return pid;
}

void Supervisor::Kill(pid_t pid, bool group, int sig) {
  if (pid <= 0) return;
  // Not a group leader (setpgid can lose a race with a fast exec): fall
  // back to the process itself.
  if (group && kill(-pid, sig) == 0) return;
  kill(pid, sig);
}

bool Supervisor::RunStopCommand(Service& s) {
  Slot* slot = SlotOf(s);
  SpawnRequest req = HelperRequest(slot->req, s.config().stop_command.argv);
  SetEnv(&req.env, "MAINPID", std::to_string(s.pid()));
  return RunHelper(std::move(req), nullptr) > 0;
}

bool Supervisor::GroupAlive(pid_t pgid) { return steward::GroupAlive(pgid); }

void Supervisor::SetTimer(Service& s, Clock::duration after) {
  Slot* slot = SlotOf(s);
  ev_timer_stop(loop_, &slot->timer);
  ev_timer_set(&slot->timer, Seconds(after), 0.);
  ev_timer_start(loop_, &slot->timer);
}

void Supervisor::CancelTimer(Service& s) { ev_timer_stop(loop_, &SlotOf(s)->timer); }

Clock::time_point Supervisor::Now() { return Clock::now(); }

// ---- HelperRunner -----------------------------------------------------------

pid_t Supervisor::RunHelper(SpawnRequest req, std::function<void(int)> on_exit) {
  SpawnError err;
  pid_t pid = Spawn(req, &err);
  if (pid < 0) {
    Warning("{}", err.message);
    return -1;
  }
  helpers_[pid] = std::move(on_exit);
  return pid;
}

void Supervisor::CancelHelper(pid_t pid) {
  auto it = helpers_.find(pid);
  if (it == helpers_.end()) return;
  it->second = nullptr;  // still reaped here, but nobody listens
  Kill(pid, true, SIGKILL);
}

}  // namespace steward

// ---- control (SPEC §6) --------------------------------------------------------

namespace steward {

std::vector<ServiceStatus> Supervisor::Status() const {
  std::vector<ServiceStatus> out;
  Clock::time_point now = Clock::now();
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
    st.health = slot->health->health();
    st.has_exited = s.has_exited();
    st.last_status = s.last_status();
    st.blocked_by = s.state() == State::kBlocked ? slot->blocked_by : "";
    st.main = s.config().main;
    st.type = s.config().type;
    out.push_back(std::move(st));
  }
  return out;
}

uint64_t Supervisor::Dropped(const std::string& sink) const {
  return logs_ ? logs_->Dropped(sink) : 0;
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
  std::vector<Slot*> set = slots;
  for (size_t i = 0; i < set.size(); ++i) {
    for (Slot* next : dependents ? set[i]->dependents : set[i]->dependencies) {
      if (std::find(set.begin(), set.end(), next) == set.end()) set.push_back(next);
    }
  }
  return set;
}

void Supervisor::ControlStart(const std::vector<std::string>& names, bool wait, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  if (phase_ != Phase::kRunning) return done(1, "steward is stopping\n");
  StartSet(WithDependencies(slots, false), wait, std::move(done));
}

void Supervisor::ControlStop(const std::vector<std::string>& names, bool wait, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  std::vector<Slot*> set = WithDependencies(slots, true);
  for (Slot* s : set) {
    if (s->svc->config().main)
      return done(2, fmt::format("{} is the main program; use steward ctl shutdown\n", s->svc->name()));
  }
  StopSet(set, wait, std::move(done), {});
}

void Supervisor::ControlRestart(const std::vector<std::string>& names, bool wait,
                                ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  if (phase_ != Phase::kRunning) return done(1, "steward is stopping\n");
  std::vector<Slot*> set = WithDependencies(slots, true);
  for (Slot* s : set) {
    if (s->svc->config().main)
      return done(2, fmt::format("{} is the main program; it cannot be restarted\n", s->svc->name()));
  }
  // Dependents come back too: they were stopped for the restart.
  StopSet(set, wait, std::move(done), WithDependencies(set, false));
}

void Supervisor::StartSet(const std::vector<Slot*>& set, bool wait, ControlDone done) {
  for (Slot* s : set) {
    s->stop_requested = false;
    s->svc->Handle(Event::kStart);
  }
  if (wait) pending_.push_back({true, set, std::move(done), {}});
  Settle();
  if (!wait && done) done(0, "");
}

void Supervisor::StopSet(const std::vector<Slot*>& set, bool wait, ControlDone done,
                         std::vector<Slot*> then_start) {
  for (Slot* s : set) s->stop_requested = true;
  bool restart = !then_start.empty();
  if (wait || restart) pending_.push_back({false, set, wait ? std::move(done) : nullptr, std::move(then_start)});
  Settle();
  if (!wait && done) done(0, "");
}

// Runs after every Settle(): a request is done when each of its services
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
      bool wait = bool(done.done);  // before the move: argument order is unspecified
      StartSet(done.then_start, wait, std::move(done.done));
      return;  // StartSet settled again, which re-entered this check
    }
    if (!done.done) continue;
    if (phase_ != Phase::kRunning && !settled) {
      done.done(1, "steward is stopping\n");
    } else {
      done.done(failed.empty() ? 0 : 1, failed);
    }
  }
}

void Supervisor::ControlSignal(int sig, const std::vector<std::string>& names, ControlDone done) {
  std::vector<Slot*> slots;
  if (!ResolveNames(names, &slots, &done)) return;
  std::string not_running;
  for (Slot* s : slots) {
    if (s->svc->pid() > 0) {
      Kill(s->svc->pid(), s->svc->group_kill(), sig);
    } else {
      not_running += fmt::format("{}: not running\n", s->svc->name());
    }
  }
  done(not_running.empty() ? 0 : 1, not_running);
}

void Supervisor::ControlShutdown(std::optional<int> exit_code) {
  BeginShutdown(exit_code, "steward ctl shutdown");
  Settle();
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
