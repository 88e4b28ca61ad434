// PID 1's side of the log pipeline: the pipes, /dev/log and spools it holds, and the forwarder it runs.
#include "steward/log/hub.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "steward/util/diag.hpp"
#include "steward/pid1/exit_status.hpp"
#include "steward/log/forwarder/forwarder.hpp"
#include "steward/log/journal.hpp"

namespace steward::log {

namespace {

constexpr int kPipeSize = 1 << 20;        // room for bursts while the forwarder restarts
constexpr int kSyslogRcvBuf = 8 << 20;    // /dev/log: same reason
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

// An existing socket nobody answers on is a leftover of an earlier steward
// in this container (docker restart); anything else is someone else's.
bool IsStaleSocket(const std::string& path) {
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) return false;
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return fd && connect(fd.get(), reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) != 0 &&
         errno == ECONNREFUSED;
}

}  // namespace

LogHub::LogHub(struct ev_loop* loop, const LogConfig& cfg, std::string runtime_dir)
    : loop_(loop), cfg_(cfg), runtime_dir_(std::move(runtime_dir)) {
  control_io_.Bind<&LogHub::OnControl>(loop_, this, -1, EV_READ);
  restart_timer_.Bind<&LogHub::OnRestartTimer>(loop_, this);
  drain_timer_.Bind<&LogHub::OnDrainTimer>(loop_, this);
  done_timer_.Bind<&LogHub::OnDoneTimer>(loop_, this);
}

LogHub::~LogHub() {
  if (!syslog_created_.empty()) unlink(syslog_created_.c_str());
  // A forwarder still running sees the control socket close and all write
  // ends gone: it delivers what is left and exits on its own.
}

bool LogHub::Start(std::string* err) {
  started_ = true;
  BindSyslog();
  MakeSpools();
  return Fork(err);
}

void LogHub::BindSyslog() {
  const std::string& path = cfg_.syslog_socket;
  if (path.empty()) return;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode) || !IsStaleSocket(path)) {
      Warning("{} already exists (bind-mounted from the host?); leaving it alone, syslog(3) "
              "messages are not captured", path);
      return;
    }
    unlink(path.c_str());
  }
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (path.size() >= sizeof sun.sun_path || !fd) {
    Warning("cannot bind {}: path too long or no socket; syslog(3) messages are not captured", path);
    return;
  }
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) != 0) {
    Warning("cannot bind {}: {}; syslog(3) messages are not captured", path, strerror(errno));
    return;
  }
  chmod(path.c_str(), 0666);  // every user in the container may log
  int size = kSyslogRcvBuf;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  syslog_ = std::move(fd);
  syslog_created_ = path;
}

// Network sinks spool in RUNTIME_DIR/log (the forwarder opens the files).
// Without a writable runtime directory, memfds held here do the job: in
// memory, but they still survive a forwarder restart.
void LogHub::MakeSpools() {
  bool network = false;
  for (const SinkConfig& sc : cfg_.sinks) network = network || sc.type != SinkConfig::Type::kFile;
  if (!network) return;
  if (!runtime_dir_.empty()) {
    std::string dir = runtime_dir_ + "/log";
    if ((mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) && access(dir.c_str(), W_OK) == 0) return;
  }
  Warning("log spools are kept in memory: no writable runtime directory{}",
          runtime_dir_.empty() ? "" : " (" + runtime_dir_ + ")");
  for (const SinkConfig& sc : cfg_.sinks) {
    if (sc.type == SinkConfig::Type::kFile) continue;
    UniqueFd fd(memfd_create(("steward-spool-" + sc.name).c_str(), MFD_CLOEXEC));
    if (fd) spools_.emplace_back(sc.name, std::move(fd));
  }
}

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

Message LogHub::AttachMessage(const Entry& e, bool with_fds) const {
  AttachMsg a;
  a.id = e.id;
  a.name = e.name;
  a.prefix = e.cfg.prefix;
  a.console = e.cfg.console;
  a.sinks = e.cfg.sinks;
  if (with_fds) a.fds = {e.out.r.get(), e.err.r.get(), e.out.journal.get(), e.err.journal.get()};
  return Encode(a);
}

// Everything a new forwarder needs, in order; kStart last.
void LogHub::SendState() {
  for (const auto& [name, fd] : spools_) Send(Encode(SpoolMsg{name, fd.get()}));
  if (syslog_) Send(Encode(SyslogMsg{syslog_.get()}));
  auto attach = [this](const Entry& e, bool detaching) {
    Send(AttachMessage(e, true));
    if (e.pid) Send(Encode(SetPidMsg{e.id, e.pid}));
    if (detaching) Send(Encode(DetachMsg{e.id}));
  };
  for (const auto& [name, e] : services_) attach(e, false);
  for (const auto& [id, e] : detaching_) attach(e, true);
  if (width_) Send(Encode(WidthMsg{int64_t(width_)}));
  Send(Encode(StartMsg{}));
  if (draining_) Send(Encode(DrainMsg{std::chrono::duration_cast<Duration>(deadline_ - Clock::now())}));
}

// Messages for a forwarder that is not running are dropped: SendState()
// gives the next one the whole state anyway; one that is dying (EPIPE) is
// restarted with the full state when it is reaped.
void LogHub::Send(Message m) {
  if (!forwarder_ || !control_) return;
  outbox_.Send(std::move(m));
}

void LogHub::OnControl(int revents) {
  if (revents & EV_WRITE) outbox_.Flush();
  if (revents & EV_READ) Receive();
}

void LogHub::Receive() {
  for (;;) {
    Message m;
    std::vector<UniqueFd> fds;  // none expected; closed if any
    int rc = ReceiveMessage(control_.get(), &m, &fds);
    if (rc == 0) {
      control_io_.Stop();  // dying; the reaper tells us when it is gone
      return;
    }
    if (rc < 0) {
      if (errno == EBADMSG) continue;
      return;
    }
    DetachedMsg detached;
    DroppedMsg dropped;
    if (Decode(m, &detached)) {
      detaching_.erase(detached.id);
    } else if (Decode(m, &dropped) && (dropped_.size() < 64 || dropped_.count(dropped.sink))) {
      // 64: the forwarder's sink limit. The forwarder parses hostile input;
      // whatever it sends, PID 1's tables stay bounded.
      dropped_[dropped.sink] = dropped.total;
      if (dropped.problem) problems_[dropped.sink] = dropped.problem->substr(0, 512);
    }
  }
}

bool LogHub::MakePipe(const std::string& name, Pipe* p, std::string* err) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *err = SysError("pipe", name, errno);
    return false;
  }
  p->r.Reset(fds[0]);
  p->w.Reset(fds[1]);
  fcntl(fds[0], F_SETPIPE_SZ, kPipeSize);  // best effort: the default 64 KiB works too
  fcntl(fds[0], F_SETFL, O_NONBLOCK);     // the read end only: services write blocking
  p->journal = Journal::Create("steward-journal-" + name, err);
  return bool(p->journal);
}

bool LogHub::Attach(const std::string& service, const ServiceLogConfig& cfg, int* out_w,
                    int* err_w, std::string* err) {
  auto it = services_.find(service);
  if (it == services_.end()) {
    Entry e;
    e.name = service;
    e.cfg = cfg;
    if (!MakePipe(service + "-stdout", &e.out, err) || !MakePipe(service + "-stderr", &e.err, err)) {
      return false;
    }
    e.id = next_id_++;
    it = services_.emplace(service, std::move(e)).first;
    Send(AttachMessage(it->second, true));
  } else if (it->second.cfg.console != cfg.console || it->second.cfg.sinks != cfg.sinks ||
             it->second.cfg.prefix != cfg.prefix) {
    it->second.cfg = cfg;
    Send(AttachMessage(it->second, false));
  }
  *out_w = it->second.out.w.get();
  *err_w = it->second.err.w.get();
  return true;
}

void LogHub::Expect(const std::vector<std::pair<std::string, ServiceLogConfig>>& services) {
  size_t width = 0;
  for (const auto& [name, cfg] : services) width = std::max(width, (cfg.prefix.empty() ? name : cfg.prefix).size());
  if (width == width_) return;
  width_ = width;
  Send(Encode(WidthMsg{int64_t(width)}));
}

void LogHub::SetPid(const std::string& service, pid_t pid) {
  auto it = services_.find(service);
  if (it == services_.end()) return;
  it->second.pid = pid;
  Send(Encode(SetPidMsg{it->second.id, pid}));
}

void LogHub::Detach(const std::string& service) {
  auto it = services_.find(service);
  if (it == services_.end()) return;
  Entry e = std::move(it->second);
  services_.erase(it);
  e.out.w.Reset();
  e.err.w.Reset();
  if (!forwarder_ && !restart_timer_.active()) return;  // nobody will read it: forget it now
  uint32_t id = e.id;
  detaching_.emplace(id, std::move(e));
  Send(Encode(DetachMsg{id}));
}

std::string LogHub::Problem(const std::string& sink) const {
  auto it = problems_.find(sink);
  return it == problems_.end() ? "" : it->second;
}

void LogHub::Tail(const std::string& service, int lines, bool follow, UniqueFd client) {
  if (!forwarder_ || !control_) {
    // Between a crash of the forwarder and its restart (a second at most).
    // A control response (EXIT_CODE LF TEXT), as the forwarder would give.
    std::string_view answer = "1\nthe log forwarder is restarting; try again\n";
    (void)!send(client.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  Message m = Encode(TailMsg{service, lines, follow, client.get()});
  m.owned.push_back(std::move(client));
  Send(std::move(m));
}

uint64_t LogHub::Dropped(const std::string& sink) const {
  auto it = dropped_.find(sink);
  return it == dropped_.end() ? 0 : it->second;
}

void LogHub::OnForwarderExit(pid_t pid, int status) {
  if (!IsForwarder(pid)) return;
  forwarder_ = 0;
  control_io_.Stop();
  control_.Reset();
  outbox_.Clear();
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
  // end of file once the forwarder has read it.
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
