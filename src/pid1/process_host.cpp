// PID 1's OS side: the event loop's watchers, spawning services and helpers,
// their environment, probes, the log hub and the control server.
#include "steward/pid1/process_host.hpp"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "steward/config/env_file.hpp"
#include "steward/pid1/control_context.hpp"
#include "steward/pid1/control_server.hpp"
#include "steward/pid1/daemon.hpp"
#include "steward/pid1/procs.hpp"
#include "steward/util/diag.hpp"
#include "steward/util/diag_loop.hpp"

namespace steward {

// The OS state of one service: its one timer, its probes, its spawn request.
struct ProcessHost::Proc {
  ProcessHost* host;
  Service* svc;
  TimerWatcher timer;
  std::unique_ptr<ReadinessProbe> ready;
  std::unique_ptr<HealthProbe> health;
  SpawnRequest req;  // of the current run, reused by checks and stop_command
  bool env_read = false;   // env_digest holds what the last start read
  std::string env_digest;  // ServiceConfig::env_digest's format

  void OnTimer() { host->sup_->OnServiceTimer(*svc); }
};

int RunInit(struct ev_loop* loop, SupervisorSettings settings, Config config,
            const InheritedSignals* signals, ConfigReader read) {
  LoopStderr own_stderr(loop);  // from here to the exit, no message blocks PID 1 (diag_loop.hpp)
  auto host = std::make_unique<ProcessHost>(loop, settings, signals, std::move(read));
  Supervisor sup(std::move(settings), std::move(config), {host.get(), host.get(), host.get()});
  int code = host->Run(&sup);
  host.reset();  // before the Services its probes refer to
  return code;
}

ProcessHost::ProcessHost(struct ev_loop* loop, SupervisorSettings settings,
                         const InheritedSignals* signals, ConfigReader read)
    : loop_(loop), settings_(std::move(settings)), signals_(signals), read_(std::move(read)) {}

ProcessHost::~ProcessHost() = default;

int ProcessHost::Run(Supervisor* sup) {
  sup_ = sup;
  const Config& config = sup->config();
  for (Service* s : sup->services()) AddProc(s);
  // Every forwardable signal through one signalfd of our own (they are all
  // blocked since main()'s first line): one descriptor and one watcher,
  // where an ev_signal each would cost libev a signalfd4 and a sigprocmask
  // per signal at start (58 of them; half of steward's system calls in
  // wrapper mode). SIGCHLD stays libev's, for the ev_child below.
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (IsForwardable(sig)) sigaddset(&forwarded, sig);
  }
  signal_fd_.Reset(signalfd(-1, &forwarded, SFD_NONBLOCK | SFD_CLOEXEC));
  if (signal_fd_) {
    signals_io_.Bind<&ProcessHost::OnSignals>(loop_, this, signal_fd_.get(), EV_READ);
    signals_io_.Start();
  } else {
    Warning("{}; signals are not acted on", SysError("signalfd", "forwarded signals", errno));
  }
  // pid 0: every child, orphans included, is reaped here.
  child_.Bind<&ProcessHost::OnChild>(loop_, this, 0);
  child_.Start();
  deadline_.Bind<&ProcessHost::OnDeadline>(loop_, this);
  grace_.Bind<&ProcessHost::OnGrace>(loop_, this);

  // /dev/log is bound and the forwarder runs before any service starts, so
  // not even a service's first line can be lost.
  if (!settings_.wrapper_mode) {
    logs_ = std::make_unique<log::LogHub>(loop_, config.global.log, settings_.runtime_dir);
    ExpectServices(config);
    std::string err;
    if (!logs_->Start(&err)) Warning("logs: {}; services write to steward's stdout instead", err);
  }

  // `steward ctl` works from the first moment, also while stopping.
  if (!settings_.wrapper_mode && !settings_.runtime_dir.empty()) {
    verbs_ = std::make_unique<ControlContext>(sup, logs_.get());
    control_ = std::make_unique<ControlServer>(loop_, verbs_.get(),
                                               settings_.runtime_dir + "/control.sock",
                                               config.global.control_gid);
    std::string err;
    if (!control_->Start(&err)) {
      Warning("control socket: {}; steward ctl will not work", err);
      control_.reset();
    }
  }

  if (!settings_.wrapper_mode) WatchVolume(config);

  settle_.Bind<&ProcessHost::OnPrepare>(loop_, this);
  settle_.Start();
  sup->Start();
  sup->Settle();
  if (sup->phase() != Phase::kDone) ev_run(loop_, 0);
  return sup->exit_code();
}

// ---- events: handed to the Supervisor, which records them ------------------

// Before the loop waits: one settle pass for everything this turn recorded.
void ProcessHost::OnPrepare() { sup_->Settle(); }

void ProcessHost::OnChild() {
  pid_t pid = child_.rpid();
  int status = child_.rstatus();
  if (logs_ && logs_->IsForwarder(pid)) {
    logs_->OnForwarderExit(pid, status);  // restarts it at once, or ends the drain
    return;
  }
  if (auto h = helpers_.find(pid); h != helpers_.end()) {
    auto on_exit = std::move(h->second);
    helpers_.erase(h);
    if (on_exit) on_exit(status);
    sup_->OnReaped(pid, status, true);
    return;
  }
  sup_->OnReaped(pid, status);
}

void ProcessHost::OnSignals() {
  struct signalfd_siginfo si[16];
  ssize_t n;
  while ((n = read(signal_fd_.get(), si, sizeof si)) > 0) {
    for (size_t i = 0; i < size_t(n) / sizeof si[0]; ++i) sup_->OnSignal(int(si[i].ssi_signo));
  }
}

void ProcessHost::OnDeadline() { sup_->OnStopEvent(StopEvent::kDeadline); }
void ProcessHost::OnGrace() { sup_->OnStopEvent(StopEvent::kGrace); }

// ---- services ---------------------------------------------------------------

void ProcessHost::AddProc(Service* s) {
  auto p = std::make_unique<Proc>();
  p->host = this;
  p->svc = s;
  p->timer.Bind<&Proc::OnTimer>(loop_, p.get());
  // The probes keep a reference to the Service's configuration, which a
  // reload replaces in place: they read the new one at the next start.
  p->ready = std::make_unique<ReadinessProbe>(loop_, s->config(), settings_.runtime_dir, this,
                                              [this, s] { sup_->OnServiceReady(*s); });
  p->health = std::make_unique<HealthProbe>(loop_, s->config(), this,
                                            [this, s] { sup_->OnServiceUnhealthy(*s); });
  procs_.push_back(std::move(p));
}

// Console prefixes are padded to the longest name from the first line.
void ProcessHost::ExpectServices(const Config& config) {
  std::vector<std::pair<std::string, ServiceLogConfig>> expected;
  for (const ServiceConfig& s : config.services) {
    if (s.enabled) expected.emplace_back(s.name, s.log);
  }
  logs_->Expect(expected);
}

ProcessHost::Proc& ProcessHost::ProcOf(const Service& s) const {
  for (const auto& p : procs_) {
    if (p->svc == &s) return *p;
  }
  return *procs_.front();  // impossible: Run() made one for every Service
}

void ProcessHost::ProcessGone(Service& s) {
  if (logs_) logs_->SetPid(s.name(), 0);
}

SpawnRequest ProcessHost::BuildRequest(const Service& s, bool* ok) {
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
    req.inherit_env = true;  // copied only if something below changes it
  }
  if (cfg.identity.set) {
    if (!cfg.identity.home.empty()) SetEnv(&req, "HOME", cfg.identity.home);
    if (!cfg.identity.name.empty()) {
      SetEnv(&req, "USER", cfg.identity.name);
      SetEnv(&req, "LOGNAME", cfg.identity.name);
    }
  }
  // Read at each start, so an edited env file applies at the next restart,
  // and safely: the file may lie where the service itself can write.
  uid_t owner = cfg.identity.set ? cfg.identity.uid : uid_t(-1);
  Proc& p = ProcOf(s);
  p.env_read = true;
  p.env_digest.clear();
  for (const std::string& file : cfg.env_files) {
    EnvFileRead env = ReadEnvFile(file, owner);
    p.env_digest += EnvDigestPart(env);
    if (!env.error.empty()) {
      Error("{}: env_file {}", s.name(), env.error);
      *ok = false;
      return req;
    }
    for (auto& [k, v] : env.vars) SetEnv(&req, k, v);
  }
  for (auto& [k, v] : cfg.environment) SetEnv(&req, k, v);
  // PROGRAM keeps steward's working directory, as under tini.
  if (!cfg.from_command_line) req.working_dir = cfg.working_dir;
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

// A reload restarts a service whose env_files changed (SPEC §4): changed
// against what its process read at its last start, not against the last
// load, since a oneshot earlier in the graph may have written them since.
void ProcessHost::EnvSinceStart(Config* next) const {
  for (ServiceConfig& n : next->services) {
    const ServiceConfig* running = sup_->config().Find(n.name);
    if (!running) continue;
    for (const auto& p : procs_) {
      if (p->svc->name() != n.name || !p->env_read) continue;
      if (n.env_digest == p->env_digest) {
        n.env_digest = running->env_digest;  // what it read: unchanged
      } else if (n.env_digest == running->env_digest) {
        n.env_digest += " (changed since its start)";
      }
    }
  }
}

// The service's stdout and stderr become its two log pipes, held by the hub
// across restarts. PROGRAM keeps a terminal when it has one (docker run -it).
bool ProcessHost::AttachLogs(const Service& s, SpawnRequest* req) {
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

pid_t ProcessHost::Launch(Service& s, LaunchFailure* failure) {
  Proc& p = ProcOf(s);
  bool ok;
  SpawnRequest req = BuildRequest(s, &ok);
  if (!ok || !AttachLogs(s, &req)) {
    failure->exit_code = 1;
    return -1;
  }
  std::string err;
  bool probe = s.config().type == ServiceType::kLongrun &&
               s.config().ready.kind != ReadyCheck::Kind::kNone;
  if (probe && !p.ready->Arm(&req, &err)) {
    Error("{}: ready: {}", s.name(), err);
    failure->exit_code = 1;
    return -1;
  }
  SpawnError serr;
  unsigned long long launch_ticks = BootTicks();
  pid_t pid = Spawn(req, &serr);
  if (pid < 0) {
    Error("{}: {}{}", s.name(), serr.message,
          serr.final && !s.config().main ? "; not restarted: a retry cannot fix this" : "");
    p.ready->End();
    failure->exit_code = serr.exit_code;
    failure->final = serr.final;
    return -1;
  }
  if (logs_) logs_->SetPid(s.name(), pid);
  launched_[&s] = {pid, launch_ticks};
  p.req = std::move(req);
  if (probe) p.ready->Begin();
  return pid;
}

void ProcessHost::Kill(pid_t pid, bool group, int sig) {
  if (pid <= 0) return;
  // Not a group leader (setpgid can lose a race with a fast exec): fall
  // back to the process itself.
  if (group && kill(-pid, sig) == 0) return;
  kill(pid, sig);
}

bool ProcessHost::RunStopCommand(Service& s) {
  SpawnRequest req = HelperRequest(ProcOf(s).req, s.config().stop_command.argv);
  SetEnv(&req, "MAINPID", std::to_string(s.pid()));
  return RunHelper(std::move(req), nullptr) > 0;
}

bool ProcessHost::GroupAlive(pid_t pgid) { return steward::GroupAlive(pgid); }

void ProcessHost::SetTimer(Service& s, Clock::duration after) { ProcOf(s).timer.Start(after); }

void ProcessHost::CancelTimer(Service& s) { ProcOf(s).timer.Stop(); }

// Inside the Service's transition: the probes follow it, then the
// Supervisor logs and records it.
void ProcessHost::StateChanged(Service& s, State old) {
  WarnIfDaemonized(s, old);
  Proc& p = ProcOf(s);
  if (old == State::kRunning) p.ready->End();
  if (old == State::kReady) p.health->End();
  if (s.state() == State::kReady) p.health->Begin(p.req);
  sup_->OnServiceMoved(s, old);
}

Health ProcessHost::HealthOf(const Service& s) const { return ProcOf(s).health->health(); }
std::string ProcessHost::LastHealthCheck(const Service& s) const {
  return ProcOf(s).health->last_check();
}

// ---- the stop sequence's OS side ---------------------------------------------

void ProcessHost::StartTimer(Timer t, Clock::duration after) {
  (t == Timer::kDeadline ? deadline_ : grace_).Start(after);
}

void ProcessHost::StopTimer(Timer t) { (t == Timer::kDeadline ? deadline_ : grace_).Stop(); }

pid_t ProcessHost::ForwarderPid() const { return logs_ ? logs_->forwarder_pid() : 0; }

int ProcessHost::SignalLeftovers(int sig) { return SignalDescendants(sig, ForwarderPid()); }

bool ProcessHost::LeftoversGone() { return Descendants(ForwarderPid()).empty(); }

void ProcessHost::DrainLogs(Clock::time_point deadline) {
  if (!logs_) {
    sup_->OnStopEvent(StopEvent::kDrained);
    return;
  }
  logs_->Drain(deadline, [this] { sup_->OnStopEvent(StopEvent::kDrained); });
}

void ProcessHost::Exit() { ev_break(loop_, EVBREAK_ALL); }

// ---- helpers ----------------------------------------------------------------

pid_t ProcessHost::RunHelper(SpawnRequest req, std::function<void(int)> on_exit) {
  SpawnError err;
  pid_t pid = Spawn(req, &err);
  if (pid < 0) {
    Warning("{}", err.message);
    return -1;
  }
  helpers_[pid] = std::move(on_exit);
  return pid;
}

void ProcessHost::CancelHelper(pid_t pid) {
  auto it = helpers_.find(pid);
  if (it == helpers_.end()) return;
  it->second = nullptr;  // still reaped here, but nobody listens
  Kill(pid, true, SIGKILL);
}

}  // namespace steward
