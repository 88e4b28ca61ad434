// PID 1's side of the forwarder process: its start (fork and exec of steward's own binary), restarts, the reload's handover and the drain.
#include "steward/log/hub.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

extern char** environ;

#include "steward/util/diag.hpp"
#include "steward/util/exit_status.hpp"

namespace steward::log {

namespace {

constexpr int kControlFd = kForwarderControlFd;  // the forwarder's end of the socketpair

using Clock = std::chrono::steady_clock;

// steward's own binary, held from main()'s start (HoldOwnBinary), or why
// it could not be found.
struct OwnBinary {
  UniqueFd fd;
  std::string problem = "steward's own binary was never opened";
};
OwnBinary& Own() {
  static OwnBinary own;
  return own;
}

// The forwarder side of the fork, written out in one place, up to the exec
// of steward's own binary as `steward-log`: signals back to defaults with
// an empty mask (PID 1 blocks everything), the few signals a stray `kill`
// could send it ignored (PID 1 talks to it over the socket, and a dead
// forwarder is restarted anyway), a process group of its own so nothing
// aimed at a service's group or the terminal's reaches it, its name, and no
// descriptor of PID 1's except stdio and the control socket: the write ends
// of the pipes above all, or it would never see end of file. A copy of PID
// 1 runs this: async-signal-safe calls only (argv is made before the fork).
[[noreturn]] void ForwarderChild(int control, int binary, char* const argv[], int out_fd, int err_fd) {
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
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
  prctl(PR_SET_NAME, kForwarderName, 0, 0, 0);
  // Above the descriptors set up below, so that none of them replaces it.
  int exe = fcntl(binary, F_DUPFD_CLOEXEC, kControlFd + 1);
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
    dup2(control, kControlFd);  // without close-on-exec
    close(control);
  } else {
    fcntl(kControlFd, F_SETFD, 0);
  }
  unsigned first = kControlFd + 1, keep = unsigned(exe);
  if (exe < 0 || (keep > first && close_range(first, keep - 1, 0) != 0) ||
      close_range(keep + 1, ~0U, 0) != 0) {
    for (int fd = kControlFd + 1; fd < 65536; ++fd) {
      if (fd != exe) close(fd);
    }
  }
  if (exe >= 0) syscall(SYS_execveat, exe, "", argv, environ, AT_EMPTY_PATH);
  // The hub sees it exit at once and says so (restarting it once a second).
  static const char kFailed[] = "steward: error: cannot execute steward's own binary as the log forwarder\n";
  (void)!write(STDERR_FILENO, kFailed, sizeof kFailed - 1);
  _exit(127);
}

// strerror's text for a failed open, with its path.
std::string OpenProblem(const std::string& path, int err) { return path + ": " + strerror(err); }

}  // namespace

void HoldBinary(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
  Own().problem = fd ? "" : OpenProblem(path, errno);
  Own().fd = std::move(fd);
}

void HoldOwnBinary(const char* argv0) {
  UniqueFd fd(open("/proc/self/exe", O_PATH | O_CLOEXEC));
  if (fd) {
    Own().fd = std::move(fd);
    Own().problem.clear();
    return;
  }
  std::string proc = OpenProblem("/proc/self/exe", errno);
  // No /proc (yet): argv[0] as a shell would have found it.
  std::string name = argv0 ? argv0 : "";
  std::string tried;
  if (name.find('/') != std::string::npos) {
    fd.Reset(open(name.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) tried = OpenProblem(name, errno);
  } else if (!name.empty()) {
    const char* env = getenv("PATH");
    std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
    for (size_t at = 0; !fd && at <= path.size();) {
      size_t colon = std::min(path.find(':', at), path.size());
      std::string dir = path.substr(at, colon - at);
      std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) fd.Reset(open(candidate.c_str(), O_PATH | O_CLOEXEC));
      at = colon + 1;
    }
    if (!fd) tried = fmt::format("argv[0] \"{}\" is not in PATH", name);
  } else {
    tried = "argv[0] is empty";
  }
  Own().problem = fd ? "" : fmt::format("steward cannot find its own binary to execute as the log "
                                        "forwarder ({}; {}); mount /proc, or start steward by its "
                                        "full path", proc, tried);
  Own().fd = std::move(fd);
}

bool LogHub::Fork(std::string* err) {
  if (!Own().fd) {
    *err = Own().problem;
    return false;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *err = SysError("socketpair", "log forwarder", errno);
    return false;
  }
  UniqueFd mine(sv[0]), theirs(sv[1]);
  char* const argv[] = {const_cast<char*>(kForwarderName), nullptr};
  pid_t pid = fork();  // every signal is blocked in PID 1: no handler can run in the child
  if (pid < 0) {
    *err = SysError("fork", "log forwarder", errno);
    return false;
  }
  if (pid == 0) ForwarderChild(theirs.Release(), Own().fd.get(), argv, stdio_out_, stdio_err_);
  fcntl(mine.get(), F_SETFL, O_NONBLOCK);
  control_ = std::move(mine);
  forwarder_ = pid;
  phase_ = Next(phase_, Event::kForked);
  started_at_ = Clock::now();
  outbox_.Clear();
  control_io_.Set(control_.get(), EV_READ);
  SendConfig();
  SendState();
  Debug("log forwarder started (pid {})", pid);
  return true;
}

// First of all: the configuration the forwarder runs with.
void LogHub::SendConfig() {
  ConfigMsg c;
  c.log = cfg_;
  c.runtime_dir = runtime_dir_;
  c.verbosity = Verbosity();
  c.sinks = uint32_t(cfg_.sinks.size());
  Send(Encode(c));
  for (const SinkConfig& sc : cfg_.sinks) Send(Encode(SinkConfigMsg{sc}));
}

bool LogHub::Draining() const {
  return phase_ == Phase::kDraining || phase_ == Phase::kHandingOverToDrain ||
         phase_ == Phase::kDrainKilled || phase_ == Phase::kDone;
}

// Starts the next forwarder; when it cannot, says so and tries again in a
// second (not during a drain, which then ends).
bool LogHub::StartNext(std::string_view failure) {
  std::string err;
  if (Fork(&err)) return true;
  Error("{}: {}", failure, err);
  phase_ = Next(phase_, Event::kStartFailed);
  if (phase_ != Phase::kDone) ScheduleRestart();
  return false;
}

// The drain is over: done() once.
void LogHub::Finish() {
  drain_timer_.Stop();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done();
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
  Phase was = phase_;
  // Died before it finished a drain (not our SIGKILL, not its own exit):
  // a new one picks up from the journals, while there is time.
  bool died = !WIFEXITED(status) && Clock::now() < deadline_;
  phase_ = Next(was, died ? Event::kDied : Event::kExited);
  switch (was) {
    case Phase::kHandingOver:
    case Phase::kHandingOverToDrain:
      // Reconfigure() asked it to go: the next one starts at once with the
      // new configuration (and is told to drain if a Drain() came meanwhile).
      handover_timer_.Stop();
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        Warning("log forwarder (pid {}) {} while handing over to the new [log] configuration; the "
                "next one repeats what it had not made safe", pid, DescribeWaitStatus(status));
      }
      if (!StartNext("cannot start the log forwarder with the new configuration") && phase_ == Phase::kDone)
        Finish();
      return;
    case Phase::kDraining:
      if (phase_ == Phase::kDraining) {
        Warning("log forwarder (pid {}) {} while draining; restarting it", pid, DescribeWaitStatus(status));
        if (StartNext("cannot restart the log forwarder to drain the logs")) return;
      }
      Finish();
      return;
    case Phase::kDrainKilled:
      Finish();
      return;
    default:
      break;
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
  StartNext("cannot restart the log forwarder");
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
  if (phase_ == Phase::kIdle || Draining()) return;
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
  if (phase_ != Phase::kRunning || !control_) return;
  HandoverMsg h;
  h.left = kHandoverTime;
  h.drain_syslog = moved;
  for (const SinkConfig& sc : cfg_.sinks) {
    if (sc.type != SinkConfig::Type::kFile) h.kept.push_back(sc.name);
  }
  Send(Encode(h));
  phase_ = Next(phase_, Event::kReconfigure);
  handover_timer_.Start(Seconds(kHandoverTime) + 1.0);
  Debug("log forwarder (pid {}) hands over to the new [log] configuration", forwarder_);
}

void LogHub::OnHandoverTimer() {
  if (!forwarder_ || !handing_over()) return;
  Warning("log forwarder (pid {}) did not hand over within {} ms; killing it", forwarder_,
          kHandoverTime.count());
  kill(forwarder_, SIGKILL);  // the reaper calls OnForwarderExit, which starts the next one
}

void LogHub::ScheduleRestart() { restart_timer_.Start(1.0); }

void LogHub::OnRestartTimer() {
  if (forwarder_ == 0 && phase_ == Phase::kStarting) StartNext("cannot restart the log forwarder");
}

void LogHub::Drain(Clock::time_point deadline, std::function<void()> done) {
  Phase was = phase_;
  phase_ = Next(was, Event::kDrain);
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
  if (was == Phase::kStarting) {
    restart_timer_.Stop();
    StartNext("cannot start the log forwarder to drain the logs");
  } else if (was == Phase::kRunning) {
    Send(Encode(DrainMsg{std::chrono::duration_cast<Duration>(deadline - Clock::now())}));
  }
  if (!forwarder_) {
    // Nothing to wait for; still call done() from the loop, not from here.
    phase_ = Phase::kDone;
    done_timer_.Start(0.);
    return;
  }
  drain_timer_.Start(std::max(0.0, Seconds(deadline - Clock::now())));
}

void LogHub::OnDrainTimer() {
  if (!forwarder_) return;
  Warning("log forwarder did not finish before the shutdown deadline; killing it");
  phase_ = Next(phase_, Event::kDeadline);
  kill(forwarder_, SIGKILL);  // the reaper then calls OnForwarderExit, which calls done
}

void LogHub::OnDoneTimer() { Finish(); }

}  // namespace steward::log
