// The control socket's server, inside PID 1 (control_server.hpp). Nothing here may
// block or throw out into the event loop: sockets are non-blocking, every
// buffer is bounded, every connection has a deadline while it is reading a
// request or writing an answer, and a waiting verb holds only a weak handle.
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>

#include "steward/pid1/control_server.hpp"
#include "steward/util/diag.hpp"

namespace steward {

namespace {

// A request is a few dozen bytes written at once by `steward ctl`: a client
// that has not sent it whole after this long is stuck or hostile.
constexpr ev_tstamp kRequestDeadline = 5.0;
// An answer the client stops reading for this long is abandoned.
constexpr ev_tstamp kWriteIdle = 10.0;
// After EMFILE/ENFILE accept() would fail again at once: pause it.
constexpr ev_tstamp kAcceptRetry = 1.0;

bool FillAddress(const std::string& path, sockaddr_un* addr, std::string* err) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) {
    *err = fmt::format("control socket path {} is too long (at most {} bytes)", path,
                       sizeof(addr->sun_path) - 1);
    return false;
  }
  memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Best effort, for a connection we close at once (refused, over the limit):
// the answer is small, so it fits a fresh socket's buffer.
void SendAndForget(int fd, int code, const std::string& text) {
  std::string r = EncodeResponse(code, text);
  (void)send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

// One accepted connection. It reads a request (kReading), may wait for the
// supervisor (kWaiting: start/stop/restart), then writes the answer
// (kWriting) and is closed. The server owns it; watchers stop with it.
struct ControlServer::Conn {
  enum class Phase { kReading, kWaiting, kWriting };
  ControlServer* server;
  uint64_t id;
  UniqueFd fd;
  Phase phase = Phase::kReading;
  std::string in;   // request bytes so far (bounded by kMaxRequestBytes)
  std::string out;  // the encoded answer
  size_t sent = 0;
  IoWatcher io;
  TimerWatcher timer;

  void OnIo(int revents) { server->OnConnIo(*this, revents); }
  void OnTimer() { server->OnConnTimer(*this); }
};

ControlServer::ControlServer(struct ev_loop* loop, ControlContext* verbs, std::string path,
                             std::optional<gid_t> group)
    : loop_(loop), verbs_(verbs), path_(std::move(path)), group_(group),
      self_(std::make_shared<ControlServer*>(this)) {
  accept_io_.Bind<&ControlServer::OnAccept>(loop_, this);
  retry_.Bind<&ControlServer::OnRetryAccept>(loop_, this);
}

ControlServer::~ControlServer() {
  self_.reset();  // pending ControlDone callbacks now do nothing
  // Only the process that bound the socket speaks on it or removes it: a
  // forked child that ever ran destructors must not touch PID 1's socket.
  bool owner = bound_ && getpid() == owner_;
  // steward is exiting: one last non-blocking try to deliver what is ready
  // (`ctl shutdown` answers just before the loop may end), and a word to
  // the clients still waiting.
  for (auto& [id, c] : conns_) {
    if (!owner) break;
    if (c->phase == Conn::Phase::kWriting) {
      (void)send(c->fd.get(), c->out.data() + c->sent, c->out.size() - c->sent,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
    } else if (c->phase == Conn::Phase::kWaiting) {
      SendAndForget(c->fd.get(), 1, "steward is exiting\n");
    }
  }
  conns_.clear();
  listen_fd_.Reset();
  if (owner) (void)unlink(path_.c_str());
}

bool ControlServer::Start(std::string* err) {
  sockaddr_un addr;
  if (!FillAddress(path_, &addr, err)) return false;
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    *err = SysError("socket", "AF_UNIX", errno);
    return false;
  }
  // A socket left by an earlier run (a restarted container keeps /run when
  // it is a volume) is replaced; a live one means another steward owns it,
  // and anything that is not a socket is not ours to remove.
  struct stat st;
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *err = fmt::format("{} exists and is not a socket; not replacing it", path_);
      return false;
    }
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (probe && connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      *err = fmt::format("{} is in use (is another steward running with this runtime directory?)",
                         path_);
      return false;
    }
    (void)unlink(path_.c_str());
  }
  // The socket must never exist with a wider mode than wanted, not even
  // between bind() and chmod(): bind under a umask that leaves 0600.
  // PID 1 is single-threaded, so the process-wide umask is safe to swap.
  mode_t old_umask = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int bind_errno = errno;
  umask(old_umask);
  if (rc < 0) {
    *err = SysError("bind", path_, bind_errno);
    return false;
  }
  bound_ = true;
  owner_ = getpid();
  if (group_) {
    if (chown(path_.c_str(), uid_t(-1), *group_) < 0) {
      *err = SysError("chown", path_, errno);
      return false;
    }
    if (chmod(path_.c_str(), 0660) < 0) {
      *err = SysError("chmod", path_, errno);
      return false;
    }
  }
  if (listen(fd.get(), 16) < 0) {
    *err = SysError("listen", path_, errno);
    return false;
  }
  listen_fd_ = std::move(fd);
  accept_io_.Set(listen_fd_.get(), EV_READ);
  return true;
}

void ControlServer::SetGroup(std::optional<gid_t> group) {
  if (group == group_) return;
  group_ = group;  // credentials are checked against it from now on
  if (!bound_) return;
  if (chmod(path_.c_str(), 0600) < 0) Warning("{}", SysError("chmod", path_, errno));
  gid_t gid = group ? *group : getegid();
  if (chown(path_.c_str(), uid_t(-1), gid) < 0) {
    Warning("{}; the control socket stays 0600", SysError("chown", path_, errno));
    return;
  }
  if (group && chmod(path_.c_str(), 0660) < 0) Warning("{}", SysError("chmod", path_, errno));
}

// ---- accepting ------------------------------------------------------------------

void ControlServer::OnAccept() {
  try {
    Accept();
  } catch (const std::exception& e) {
    Warning("internal error: control: {}; please report", e.what());
  }
}

void ControlServer::OnRetryAccept() { accept_io_.Start(); }

void ControlServer::Accept() {
  // A bounded batch per wake-up, so a flood of connections cannot starve
  // the rest of PID 1's loop; the socket stays readable for the next round.
  for (int batch = 0; batch < 16; ++batch) {
    UniqueFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        Warning("control: {}; not accepting for {}s", SysError("accept4", path_, errno),
                kAcceptRetry);
        accept_io_.Stop();
        retry_.Start(kAcceptRetry);
      }
      return;  // EAGAIN, or the client gave up (ECONNABORTED): nothing to do
    }
    std::string why;
    if (!PeerAllowed(fd.get(), &why)) {
      // At most one line a second: a hostile local user must not be able
      // to flood PID 1's stderr (which may block).
      if (ev_now(loop_) - last_refusal_log_ >= 1.0) {
        last_refusal_log_ = ev_now(loop_);
        Warning("control: refused a client: {}", why);
      }
      SendAndForget(fd.get(), 1, "permission denied: " + why + "\n");
      continue;
    }
    if (conns_.size() >= kMaxConnections) {
      SendAndForget(fd.get(), 1,
                    fmt::format("steward is busy: {} control connections are open; try again\n",
                                kMaxConnections));
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->server = this;
    c->id = next_id_++;
    c->fd = std::move(fd);
    c->io.Bind<&Conn::OnIo>(loop_, c.get(), c->fd.get(), EV_READ);
    c->timer.Bind<&Conn::OnTimer>(loop_, c.get());
    c->io.Start();
    c->timer.Start(kRequestDeadline);
    conns_.emplace(c->id, std::move(c));
  }
}

// SO_PEERCRED gives the client's credentials as they were at connect().
// Root and steward's own user may always control it; with control_group, a
// client whose primary or supplementary groups include it may too (the
// socket's 0660 mode already keeps everyone else from connecting; this is
// the second lock, and the one that holds when the mode was changed).
bool ControlServer::PeerAllowed(int fd, std::string* why) const {
  struct ucred cred = {};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    *why = SysError("getsockopt", "SO_PEERCRED", errno);
    return false;
  }
  if (cred.uid == 0 || cred.uid == geteuid()) return true;
  if (group_) {
    if (cred.gid == *group_) return true;
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
      for (size_t i = 0; i < glen / sizeof(gid_t); ++i) {
        if (groups[i] == *group_) return true;
      }
    }
  }
  std::string allowed = geteuid() == 0 ? "root" : fmt::format("root and uid {}", geteuid());
  if (group_) allowed += fmt::format(" and members of group {}", *group_);
  *why = fmt::format("uid {} may not control steward (allowed: {})", cred.uid, allowed);
  return false;
}

// ---- one connection --------------------------------------------------------------

void ControlServer::OnConnIo(Conn& c, int revents) {
  ControlServer* self = this;
  uint64_t id = c.id;  // `c` may be gone after Read or Write
  // Whatever goes wrong with one client is that client's problem: PID 1
  // logs it and carries on.
  try {
    if (c.phase == Conn::Phase::kWriting) {
      if (revents & EV_WRITE) self->Write(c);
    } else if (revents & EV_READ) {
      self->Read(c);
    }
  } catch (const std::exception& e) {
    Warning("internal error: control: {}; please report", e.what());
    self->Close(id);
  }
}

void ControlServer::OnConnTimer(Conn& c) {
  Debug("control: dropping a client that stalled while {}",
        c.phase == Conn::Phase::kReading ? "sending its request" : "reading the answer");
  Close(c.id);
}

void ControlServer::Read(Conn& c) {
  char buf[4096];
  ssize_t n = recv(c.fd.get(), buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return Close(c.id);
  }
  // End of file, or anything, once the request is whole: the client went
  // away (or broke the protocol). A waiting verb carries on without it;
  // its ControlDone will find no connection.
  if (n == 0 || c.phase == Conn::Phase::kWaiting) return Close(c.id);
  c.in.append(buf, size_t(n));
  std::vector<std::string> args;
  std::string err;
  switch (DecodeRequest(c.in, &args, &err)) {
    case Decode::kIncomplete:
      return;
    case Decode::kInvalid:
      return Respond(c.id, 2, err + "\n");
    case Decode::kComplete:
      c.in.clear();
      c.in.shrink_to_fit();
      c.timer.Stop();
      c.phase = Conn::Phase::kWaiting;
      return Dispatch(c, args);
  }
}

// Switches the connection to writing its answer. Never writes or closes
// here: Respond may run inside Dispatch (a verb that answers at once), with
// `c` still on the stack; the write watcher does the rest from the loop.
void ControlServer::Respond(uint64_t id, int exit_code, const std::string& text) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second->phase == Conn::Phase::kWriting) return;
  Conn& c = *it->second;
  c.phase = Conn::Phase::kWriting;
  c.out = EncodeResponse(exit_code, text);
  c.sent = 0;
  c.io.Set(c.fd.get(), EV_WRITE);
  c.timer.Stop();
  c.timer.Again(kWriteIdle);
}

void ControlServer::Write(Conn& c) {
  while (c.sent < c.out.size()) {
    ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      return Close(c.id);  // EPIPE: the client left
    }
    c.sent += size_t(n);
    c.timer.Again();  // progress resets the idle deadline
  }
  Close(c.id);
}

void ControlServer::Close(uint64_t id) { conns_.erase(id); }

ControlDone ControlServer::DoneFor(const Conn& c) {
  std::weak_ptr<ControlServer*> weak = self_;
  uint64_t id = c.id;
  return [weak, id](int exit_code, const std::string& text) {
    if (auto self = weak.lock()) (*self)->Respond(id, exit_code, text);
  };
}

// ---- the verbs ------------------------------------------------------------------

void ControlServer::Dispatch(Conn& c, const std::vector<std::string>& args) {
  CtlRequest req;
  std::string err;
  if (!ParseCtlRequest(args, &req, &err)) return Respond(c.id, 2, err + "\n");
  Debug("control: {}", args[0]);
  uint64_t id = c.id;  // `c` is gone once taken
  verbs_->Run(req, DoneFor(c), [this, id] { return Take(id); });
}

UniqueFd ControlServer::Take(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return UniqueFd();
  UniqueFd fd = std::move(it->second->fd);
  conns_.erase(it);  // its watchers stop; the descriptor lives on in fd
  return fd;
}

}  // namespace steward
