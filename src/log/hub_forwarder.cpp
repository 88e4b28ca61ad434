// PID 1's side of the forwarder process: its fork, restarts, the reload's handover and the drain.
#include "steward/log/hub.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "steward/util/diag.hpp"
#include "steward/util/exit_status.hpp"
#include "steward/log/forwarder/forwarder.hpp"

namespace steward::log {

namespace {

constexpr int kControlFd = 3;             // the forwarder's end of the socketpair

using Clock = std::chrono::steady_clock;

// The forwarder side of the fork, written out in one place: signals back to
// defaults with an empty mask (PID 1 blocks everything), the few signals a
// stray `kill` could send it ignored (PID 1 talks to it over the socket, and
// a dead forwarder is restarted anyway), a process group of its own so
// nothing aimed at a service's group or the terminal's reaches it, its name,
// and no descriptor of PID 1's except stdio and the control socket: the
// write ends of the pipes above all, or it would never see end of file.
[[noreturn]] void ForwarderChild(int control, const LogConfig& cfg, const std::string& runtime_dir,
                                 int out_fd, int err_fd) {
  SetOwnLineSink(nullptr, nullptr);  // PID 1's: its pipe is not ours to write
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
#if defined(__SANITIZE_ADDRESS__)
    // A sanitizer build keeps the sanitizer's fault handlers, so that a
    // crash of the forwarder comes with its report rather than a bare signal.
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) continue;
#endif
    sigaction(sig, &dfl, nullptr);
  }
  struct sigaction ign = {};
  ign.sa_handler = SIG_IGN;
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN,
                  SIGTTOU, SIGWINCH}) {
    sigaction(sig, &ign, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  prctl(PR_SET_NAME, "steward-log", 0, 0, 0);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);  // stdin is the main program's, not ours
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    close(null);
  } else {
    close(STDIN_FILENO);
  }
  if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
  if (control != kControlFd) {
    dup2(control, kControlFd);
    close(control);
  }
  if (close_range(kControlFd + 1, ~0U, 0) != 0) {
    for (int fd = kControlFd + 1; fd < 65536; ++fd) close(fd);
  }
  _exit(RunForwarder(cfg, runtime_dir, kControlFd));
}

}  // namespace

bool LogHub::Fork(std::string* err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *err = SysError("socketpair", "log forwarder", errno);
    return false;
  }
  UniqueFd mine(sv[0]), theirs(sv[1]);
  pid_t pid = fork();  // every signal is blocked in PID 1: no handler can run in the child
  if (pid < 0) {
    *err = SysError("fork", "log forwarder", errno);
    return false;
  }
  if (pid == 0) ForwarderChild(theirs.Release(), cfg_, runtime_dir_, stdio_out_, stdio_err_);
  fcntl(mine.get(), F_SETFL, O_NONBLOCK);
  control_ = std::move(mine);
  forwarder_ = pid;
  started_at_ = Clock::now();
  outbox_.Clear();
  control_io_.Set(control_.get(), EV_READ);
  SendState();
  Debug("log forwarder started (pid {})", pid);
  return true;
}

void LogHub::OnForwarderExit(pid_t pid, int status) {
  if (!IsForwarder(pid)) return;
  // What it sent last is still queued on our end: its last drop counts,
  // and after a handover, the `ctl logs` state it leaves.
  if (control_) Receive();
  forwarder_ = 0;
  control_io_.Stop();
  control_.Reset();
  outbox_.Clear();
  if (handover_) {
    // Reconfigure() asked it to go: the next one starts at once with the
    // new configuration (and is told to drain if a Drain() came meanwhile).
    handover_ = false;
    handover_timer_.Stop();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      Warning("log forwarder (pid {}) {} while handing over to the new [log] configuration; the "
              "next one repeats what it had not made safe", pid, DescribeWaitStatus(status));
    }
    std::string err;
    if (Fork(&err)) return;
    Error("cannot start the log forwarder with the new configuration: {}", err);
    ScheduleRestart();
    return;
  }
  if (draining_) {
    // Died before it finished (not our SIGKILL, not its own exit): a new
    // one picks up from the journals, while there is time.
    std::string err;
    if (!WIFEXITED(status) && !killed_at_deadline_ && Clock::now() < deadline_) {
      Warning("log forwarder (pid {}) {} while draining; restarting it", pid, DescribeWaitStatus(status));
      if (Fork(&err)) return;
    }
    drain_timer_.Stop();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done();
    return;
  }
  Warning("log forwarder (pid {}) {}; restarting it", pid, DescribeWaitStatus(status));
  // At once; but a forwarder that keeps dying within a second of its start
  // (a bug on some input it replays) is restarted once a second, not in a
  // tight loop.
  quick_deaths_ = Clock::now() - started_at_ < std::chrono::seconds(1) ? quick_deaths_ + 1 : 0;
  if (quick_deaths_ >= 2) {
    ScheduleRestart();
    return;
  }
  std::string err;
  if (!Fork(&err)) {
    Error("cannot restart the log forwarder: {}", err);
    ScheduleRestart();
  }
}

void LogHub::Reconfigure(const LogConfig& cfg) {
  LogConfig old = std::move(cfg_);
  cfg_ = cfg;
  auto network = [&](const std::string& name) {
    for (const SinkConfig& sc : cfg_.sinks) {
      if (sc.name == name && sc.type != SinkConfig::Type::kFile) return true;
    }
    return false;
  };
  auto configured = [&](const std::string& name) {
    for (const SinkConfig& sc : cfg_.sinks) {
      if (sc.name == name) return true;
    }
    return false;
  };
  auto forget = [&](auto& by_sink) {
    for (auto it = by_sink.begin(); it != by_sink.end();) {
      it = configured(it->first) ? std::next(it) : by_sink.erase(it);
    }
  };
  forget(dropped_);
  forget(problems_);
  // A removed sink's memfd spool: the forwarder has its own reference
  // until it hands over, and says how many records it still held.
  spools_.erase(std::remove_if(spools_.begin(), spools_.end(), [&](auto& s) { return !network(s.first); }),
                spools_.end());
  // Start() binds and spools with cfg_; during the stop sequence nothing
  // changes any more (PID 1 ignores reloads then, SPEC §4).
  if (!started_ || draining_) return;
  bool moved = old.syslog_socket != cfg_.syslog_socket;
  if (moved) {
    // New senders find the new path at once; what was sent to the old
    // socket is read by the forwarder that holds it before it goes.
    if (!syslog_created_.empty()) unlink(syslog_created_.c_str());
    syslog_created_.clear();
    syslog_.Reset();
    BindSyslog();
  }
  MakeSpools();
  // Not running (restarting): the next one starts with cfg_ anyway; one
  // already handing over is followed by one with the newest cfg_.
  if (!forwarder_ || !control_ || handover_) return;
  HandoverMsg h;
  h.left = kHandoverTime;
  h.drain_syslog = moved;
  for (const SinkConfig& sc : cfg_.sinks) {
    if (sc.type != SinkConfig::Type::kFile) h.kept.push_back(sc.name);
  }
  Send(Encode(h));
  handover_ = true;
  handover_timer_.Start(Seconds(kHandoverTime) + 1.0);
  Debug("log forwarder (pid {}) hands over to the new [log] configuration", forwarder_);
}

void LogHub::OnHandoverTimer() {
  if (!forwarder_ || !handover_) return;
  Warning("log forwarder (pid {}) did not hand over within {} ms; killing it", forwarder_,
          kHandoverTime.count());
  kill(forwarder_, SIGKILL);  // the reaper calls OnForwarderExit, which starts the next one
}

void LogHub::ScheduleRestart() { restart_timer_.Start(1.0); }

void LogHub::OnRestartTimer() {
  std::string err;
  if (forwarder_ == 0 && !Fork(&err)) {
    Error("cannot restart the log forwarder: {}", err);
    ScheduleRestart();
  }
}

void LogHub::Drain(Clock::time_point deadline, std::function<void()> done) {
  draining_ = true;
  deadline_ = deadline;
  done_ = std::move(done);
  // PID 1's write ends are the last ones: without them every pipe reaches
  // end of file once the forwarder has read it. steward's own lines go to
  // stderr from now on.
  StopOwnLines();
  for (auto& [name, e] : services_) {
    e.out.w.Reset();
    e.err.w.Reset();
  }
  if (!forwarder_ && started_) {
    restart_timer_.Stop();
    std::string err;
    if (!Fork(&err)) Error("cannot start the log forwarder to drain the logs: {}", err);
  } else if (forwarder_) {
    Send(Encode(DrainMsg{std::chrono::duration_cast<Duration>(deadline - Clock::now())}));
  }
  if (!forwarder_) {
    // Nothing to wait for; still call done() from the loop, not from here.
    done_timer_.Start(0.);
    return;
  }
  drain_timer_.Start(std::max(0.0, Seconds(deadline - Clock::now())));
}

void LogHub::OnDrainTimer() {
  if (!forwarder_) return;
  Warning("log forwarder did not finish before the shutdown deadline; killing it");
  killed_at_deadline_ = true;
  kill(forwarder_, SIGKILL);  // the reaper then calls OnForwarderExit, which calls done
}

void LogHub::OnDoneTimer() {
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done();
}

}  // namespace steward::log
