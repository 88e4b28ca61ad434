// PID 1's side of the log pipeline: the pipes, /dev/log and spools it holds, and its messages with the forwarder.
#include "steward/log/hub.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "steward/util/diag.hpp"
#include "steward/log/journal.hpp"

namespace steward::log {

namespace {

constexpr int kPipeSize = 1 << 20;        // room for bursts while the forwarder restarts
constexpr int kSyslogRcvBuf = 8 << 20;    // /dev/log: same reason

using Clock = std::chrono::steady_clock;

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
  handover_timer_.Bind<&LogHub::OnHandoverTimer>(loop_, this);
  drain_timer_.Bind<&LogHub::OnDrainTimer>(loop_, this);
  done_timer_.Bind<&LogHub::OnDoneTimer>(loop_, this);
}

LogHub::~LogHub() {
  StopOwnLines();
  if (!syslog_created_.empty()) unlink(syslog_created_.c_str());
  // A forwarder still running sees the control socket close and all write
  // ends gone: it delivers what is left and exits on its own.
}

bool LogHub::Start(std::string* err) {
  phase_ = Next(phase_, Event::kStart);
  BindSyslog();
  MakeSpools();
  if (!Fork(err)) return false;
  StartOwnLines();
  return true;
}

// steward's own lines go through the forwarder from now on (diag.hpp):
// to the console in order with the services' last lines, and to the sinks
// as records of service "steward". Through a journaled pipe like a
// service's, so a crash of the forwarder loses none; written non-blocking
// and whole (a line up to PIPE_BUF is atomic) while a forwarder runs, else
// to stderr directly.
void LogHub::StartOwnLines() {
  std::string err;
  if (!MakePipe("steward-stdout", &own_.out, &err) || !MakePipe("steward-stderr", &own_.err, &err)) {
    Debug("steward's own lines stay on stderr only: {}", err);
    own_ = Entry();
    return;
  }
  fcntl(own_.out.w.get(), F_SETFL, O_NONBLOCK);  // PID 1 never waits for its log
  own_.id = next_id_++;
  own_.name = "steward";
  Send(AttachMessage(own_, true));
  SetOwnLineSink(&LogHub::WriteOwnLine, this);
}

bool LogHub::WriteOwnLine(void* self, std::string_view line) {
  auto* hub = static_cast<LogHub*>(self);
  // No forwarder (between a crash and the restart, or one that cannot be
  // started): said now on stderr, not kept in a pipe nobody reads yet.
  if (!hub->own_.out.w || !hub->forwarder_ || line.size() > PIPE_BUF) return false;
  return write(hub->own_.out.w.get(), line.data(), line.size()) == ssize_t(line.size());
}

// From here on (the drain, or the hub going away) lines go to stderr: no
// forwarder may be left to read them.
void LogHub::StopOwnLines() {
  SetOwnLineSink(nullptr, nullptr);
  own_.out.w.Reset();
  own_.err.w.Reset();
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
    int err = errno;
    // docker run --user 1000: /dev is root's, and steward is not.
    std::string fix = (err == EACCES || err == EPERM) && geteuid() != 0
                          ? fmt::format(" (steward runs as uid {}; run it as root, where services "
                                        "keep their own user with `user =`, or set "
                                        "syslog_socket = \"\" in [log] to not offer one)",
                                        geteuid())
                          : "";
    Warning("cannot bind {}: {}; syslog(3) messages are not captured{}", path, strerror(err), fix);
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
  // Again at a reload: only the sinks that have no spool yet get one.
  bool made = false;
  for (const SinkConfig& sc : cfg_.sinks) {
    if (sc.type == SinkConfig::Type::kFile) continue;
    bool have = false;
    for (const auto& [name, fd] : spools_) have = have || name == sc.name;
    if (have) continue;
    UniqueFd fd(memfd_create(("steward-spool-" + sc.name).c_str(), MFD_CLOEXEC));
    if (fd) spools_.emplace_back(sc.name, std::move(fd));
    made = true;
  }
  if (made) {
    Warning("log spools are kept in memory: no writable runtime directory{}",
            runtime_dir_.empty() ? "" : " (" + runtime_dir_ + ")");
  }
}

Message LogHub::AttachMessage(const Entry& e, bool with_fds) const {
  AttachMsg a;
  a.id = e.id;
  a.name = e.name;
  a.prefix = e.cfg.prefix;
  a.console = e.cfg.console;
  a.own = e.id != 0 && e.id == own_.id;
  a.sinks = e.cfg.sinks;
  if (with_fds) a.fds = {e.out.r.get(), e.err.r.get(), e.out.journal.get(), e.err.journal.get()};
  return Encode(a);
}

// Everything a new forwarder needs, in order; kStart last. After a
// reload's handover, first the `ctl logs` state the previous one left.
void LogHub::SendState() {
  if (carried_rings_) {
    Message m = Encode(RingsMsg{carried_rings_.get()});
    m.owned.push_back(std::move(carried_rings_));
    Send(std::move(m));
  }
  for (const auto& [name, fd] : spools_) Send(Encode(SpoolMsg{name, fd.get()}));
  if (syslog_) Send(Encode(SyslogMsg{syslog_.get()}));
  auto attach = [this](const Entry& e, bool detaching) {
    Send(AttachMessage(e, true));
    if (e.pid) Send(Encode(SetPidMsg{e.id, e.pid}));
    if (detaching) Send(Encode(DetachMsg{e.id}));
  };
  if (own_.id) attach(own_, !own_.out.w);
  for (const auto& [name, e] : services_) attach(e, false);
  for (const auto& [id, e] : detaching_) attach(e, true);
  if (width_) Send(Encode(WidthMsg{int64_t(width_)}));
  for (size_t i = 0; i < carried_tails_.size(); i += 8) {
    Message m;
    m.type = MsgType::kTails;
    for (size_t k = i; k < std::min(carried_tails_.size(), i + 8); ++k) {
      m.fds.push_back(carried_tails_[k].get());
      m.owned.push_back(std::move(carried_tails_[k]));
    }
    Send(std::move(m));
  }
  carried_tails_.clear();
  Send(Encode(StartMsg{}));
  for (PendingTail& t : pending_tails_) {
    Message m = Encode(TailMsg{t.service, t.lines, t.follow, t.client.get(), t.configured});
    m.owned.push_back(std::move(t.client));
    Send(std::move(m));
  }
  pending_tails_.clear();
  if (Draining()) Send(Encode(DrainMsg{std::chrono::duration_cast<Duration>(deadline_ - Clock::now())}));
}

// Messages for a forwarder that is not running are dropped: SendState()
// gives the next one the whole state anyway; one that is dying (EPIPE) is
// restarted with the full state when it is reaped.
// During a handover too: the one handing over reads nothing more.
void LogHub::Send(Message m) {
  if (!forwarder_ || !control_ || handing_over()) return;
  outbox_.Send(std::move(m));
}

void LogHub::OnControl(int revents) {
  if (revents & EV_WRITE) outbox_.Flush();
  if (revents & EV_READ) Receive();
}

void LogHub::Receive() {
  for (;;) {
    Message m;
    std::vector<UniqueFd> fds;  // only kRings and kTails carry some; else closed
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
    RingsMsg rings;
    TailsMsg tails;
    if (!handing_over() && (m.type == MsgType::kRings || m.type == MsgType::kTails)) {
      continue;  // only a forwarder we asked to hand over leaves these (closed here)
    } else if (Decode(m, &rings) && fds.size() == 1) {
      carried_rings_ = std::move(fds[0]);
    } else if (Decode(m, &tails) && fds.size() == tails.fds.size()) {
      // Bounded: the forwarder serves at most 16 clients.
      for (UniqueFd& fd : fds) {
        if (carried_tails_.size() < 64) carried_tails_.push_back(std::move(fd));
      }
    } else if (Decode(m, &detached)) {
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

void LogHub::Tail(const std::string& service, bool configured, int lines, bool follow,
                  UniqueFd client) {
  if (!forwarder_ || !control_) {
    // Between a crash of the forwarder and its restart (a second at most).
    // A control response (EXIT_CODE LF TEXT), as the forwarder would give.
    std::string_view answer = "1\nthe log forwarder is restarting; try again\n";
    (void)!send(client.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  if (handing_over()) {
    // A reload is handing over (a fraction of a second): the next
    // forwarder answers it, after the history it inherits.
    if (pending_tails_.size() < 16) {
      pending_tails_.push_back({service, configured, lines, follow, std::move(client)});
    } else {
      std::string_view answer = "1\nthe log forwarder is being reconfigured; try again\n";
      (void)!send(client.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    return;
  }
  Message m = Encode(TailMsg{service, lines, follow, client.get(), configured});
  m.owned.push_back(std::move(client));
  Send(std::move(m));
}

uint64_t LogHub::Dropped(const std::string& sink) const {
  auto it = dropped_.find(sink);
  return it == dropped_.end() ? 0 : it->second;
}

}  // namespace steward::log
