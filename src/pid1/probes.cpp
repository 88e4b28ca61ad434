// Readiness and health probes: notify sockets, polled checks, helper commands.
#include "steward/pid1/probes.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "steward/util/diag.hpp"
#include "steward/util/safe_path.hpp"
#include "steward/util/sockaddr.hpp"
#include "steward/util/exit_status.hpp"

namespace steward {

namespace {


// HOST is numeric or "localhost": a static binary has no resolver, and a
// readiness check on a remote name would be a design smell anyway.
bool ResolveHost(const std::string& host, uint16_t port, SocketAddress* out) {
  return ToSocketAddress(host == "localhost" ? "127.0.0.1" : host, port, out);
}

}  // namespace

ReadinessProbe::ReadinessProbe(struct ev_loop* loop, const ServiceConfig& cfg,
                               std::string runtime_dir, HelperRunner* runner,
                               std::function<void()> on_ready)
    : loop_(loop), cfg_(cfg), runtime_dir_(std::move(runtime_dir)), runner_(runner),
      on_ready_(std::move(on_ready)) {
  io_.Bind<&ReadinessProbe::OnNotify>(loop_, this);
  connect_io_.Bind<&ReadinessProbe::OnConnect>(loop_, this);
  tick_.Bind<&ReadinessProbe::Poll>(loop_, this);
}

ReadinessProbe::~ReadinessProbe() { End(); }

bool ReadinessProbe::Arm(SpawnRequest* req, std::string* err) {
  End();
  const ReadyCheck& r = cfg_.ready;
  switch (r.kind) {
    case ReadyCheck::Kind::kNotifyFd: {
      int p[2];
      if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        *err = SysError("pipe2", "notify_fd", errno);
        return false;
      }
      notify_fd_.Reset(p[0]);
      notify_child_end_.Reset(p[1]);
      req->fds.emplace_back(r.notify_fd, p[1]);
      return true;
    }
    case ReadyCheck::Kind::kNotifySystemd: {
      if (runtime_dir_.empty()) {
        *err = "notify = \"systemd\" needs a runtime directory (set --runtime-dir)";
        return false;
      }
      socket_path_ = runtime_dir_ + "/notify-" + cfg_.name + ".sock";
      sockaddr_un addr = {};
      addr.sun_family = AF_UNIX;
      if (socket_path_.size() >= sizeof addr.sun_path) {
        *err = fmt::format("notify socket path too long: {}", socket_path_);
        return false;
      }
      memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
      notify_fd_.Reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      unlink(socket_path_.c_str());
      if (!notify_fd_ || bind(notify_fd_.get(), (sockaddr*)&addr, sizeof addr) < 0) {
        *err = SysError("bind", socket_path_, errno);
        return false;
      }
      // Only the service's user may report readiness.
      if (req->identity && req->identity->set &&
          chown(socket_path_.c_str(), req->identity->uid, req->identity->gid) < 0) {
        *err = SysError("chown", socket_path_, errno);
        return false;
      }
      chmod(socket_path_.c_str(), 0600);
      SetEnv(req, "NOTIFY_SOCKET", socket_path_);
      return true;
    }
    case ReadyCheck::Kind::kFile: {
      // The file is the service's to make, often in a directory it owns:
      // removed through the walk, so a swapped parent cannot aim root's
      // unlink elsewhere.
      PathError e;
      if (!UnlinkSafely(r.file, &e)) {
        *err = "ready.file: " + e.text;
        return false;
      }
      return true;
    }
    case ReadyCheck::Kind::kCommand:
      check_req_ = HelperRequest(*req, r.command.argv);
      return true;
    case ReadyCheck::Kind::kTcp:
    case ReadyCheck::Kind::kNone:
      return true;
  }
  return true;
}

void ReadinessProbe::Begin() {
  active_ = true;
  notify_child_end_.Reset();  // the child has its copy; EOF must be possible
  switch (cfg_.ready.kind) {
    case ReadyCheck::Kind::kNotifyFd:
    case ReadyCheck::Kind::kNotifySystemd:
      io_.Set(notify_fd_.get(), EV_READ);
      break;
    case ReadyCheck::Kind::kTcp:
    case ReadyCheck::Kind::kCommand:
    case ReadyCheck::Kind::kFile:
      // The first poll on the next turn of the loop, then every interval.
      // Not from here: Begin() runs inside the launch, before the service
      // is `running`, and a service quick enough to be ready already would
      // have its readiness ignored (and the probe ended) in `starting`.
      tick_.Start(0.);
      break;
    case ReadyCheck::Kind::kNone:
      break;
  }
}

void ReadinessProbe::End() {
  active_ = false;
  io_.Stop();
  connect_io_.Stop();
  tick_.Stop();
  notify_fd_.Reset();
  notify_child_end_.Reset();
  connect_fd_.Reset();
  if (!socket_path_.empty()) {
    unlink(socket_path_.c_str());
    socket_path_.clear();
  }
  if (check_pid_ > 0) runner_->CancelHelper(check_pid_);
  check_pid_ = -1;
}

void ReadinessProbe::Ready() {
  End();
  on_ready_();  // may destroy nothing: the supervisor ends probes, not frees them, here
}

void ReadinessProbe::OnNotify() {
  char buf[4096];
  ssize_t n = read(notify_fd_.get(), buf, sizeof buf);
  if (n < 0) return;  // EAGAIN: spurious
  if (n == 0) {       // notify_fd closed without a newline: never ready this way
    io_.Stop();
    return;
  }
  std::string_view data(buf, size_t(n));
  bool ready = cfg_.ready.kind == ReadyCheck::Kind::kNotifyFd
                   ? data.find('\n') != std::string_view::npos
                   : ("\n" + std::string(data) + "\n").find("\nREADY=1\n") != std::string::npos;
  if (ready) Ready();
}

void ReadinessProbe::Poll() {
  if (!active_) return;
  const ReadyCheck& r = cfg_.ready;
  tick_.Start(r.interval);
  if (r.kind == ReadyCheck::Kind::kFile) {
    struct stat st;
    if (stat(r.file.c_str(), &st) == 0) Ready();
  } else if (r.kind == ReadyCheck::Kind::kTcp) {
    if (!connect_fd_) TryConnect();
  } else if (r.kind == ReadyCheck::Kind::kCommand && check_pid_ < 0) {
    check_pid_ = runner_->RunHelper(check_req_, [this](int status) {
      check_pid_ = -1;
      if (active_ && IsSuccess(status)) Ready();
    });
  }
}

void ReadinessProbe::TryConnect() {
  SocketAddress addr;
  if (!ResolveHost(cfg_.ready.host, cfg_.ready.port, &addr)) {
    Warning("{}: ready: cannot resolve '{}' (use an IP address or localhost)", cfg_.name,
            cfg_.ready.host);
    return;
  }
  connect_fd_.Reset(socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!connect_fd_) return;
  if (connect(connect_fd_.get(), addr.get(), addr.len) == 0) {
    Ready();
    return;
  }
  if (errno != EINPROGRESS) {
    connect_fd_.Reset();  // refused: try again at the next tick
    return;
  }
  connect_io_.Set(connect_fd_.get(), EV_WRITE);
}

void ReadinessProbe::OnConnect() {
  connect_io_.Stop();
  int soerr = 0;
  socklen_t len = sizeof soerr;
  getsockopt(connect_fd_.get(), SOL_SOCKET, SO_ERROR, &soerr, &len);
  connect_fd_.Reset();
  if (soerr == 0) Ready();
}

HealthProbe::HealthProbe(struct ev_loop* loop, const ServiceConfig& cfg, HelperRunner* runner,
                         std::function<void()> on_unhealthy)
    : loop_(loop), cfg_(cfg), runner_(runner), on_unhealthy_(std::move(on_unhealthy)) {
  tick_.Bind<&HealthProbe::RunTest>(loop_, this);
  timeout_.Bind<&HealthProbe::OnTimeout>(loop_, this);
  output_io_.Bind<&HealthProbe::OnOutput>(loop_, this);
}

HealthProbe::~HealthProbe() { End(); }

void HealthProbe::Begin(const SpawnRequest& service_req) {
  End();
  if (!cfg_.healthcheck.enabled) return;
  test_req_ = HelperRequest(service_req, cfg_.healthcheck.test.argv);
  // Not the service's log: RunTest() gives each test a pipe of its own.
  test_req_.fds.erase(std::remove_if(test_req_.fds.begin(), test_req_.fds.end(),
                                     [](auto fd) { return fd.first == 1 || fd.first == 2; }),
                      test_req_.fds.end());
  health_ = Health::kStarting;
  failures_ = 0;
  last_check_.clear();
  began_ = ev_now(loop_);
  tick_.Start(cfg_.healthcheck.interval);
}

void HealthProbe::End() {
  tick_.Stop();
  timeout_.Stop();
  CloseOutput();
  if (test_pid_ > 0) runner_->CancelHelper(test_pid_);
  test_pid_ = -1;
}

void HealthProbe::OnTimeout() {
  if (test_pid_ > 0) runner_->CancelHelper(test_pid_);
  test_pid_ = -1;
  Finished(false, fmt::format("timed out after {}", FormatDuration(cfg_.healthcheck.timeout)));
}

void HealthProbe::RunTest() {
  SpawnRequest req = test_req_;
  UniqueFd write_end;
  int p[2];
  CloseOutput();
  output_.clear();
  // Only our end is non-blocking: a test writing much must not get EAGAIN.
  if (pipe2(p, O_CLOEXEC) == 0) {
    output_fd_.Reset(p[0]);
    write_end.Reset(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    output_io_.Set(p[0], EV_READ);
  }
  req.fds.emplace_back(1, write_end ? write_end.get() : -1);
  req.fds.emplace_back(2, write_end ? write_end.get() : -1);
  test_pid_ = runner_->RunHelper(req, [this](int status) {
    test_pid_ = -1;
    timeout_.Stop();
    Finished(IsSuccess(status), DescribeWaitStatus(status));
  });
  if (test_pid_ < 0) {
    Finished(false, "the test could not start");
    return;
  }
  timeout_.Start(cfg_.healthcheck.timeout);
}

// Keeps the first kMaxOutput bytes (Docker keeps 4 KiB of each check too);
// reads and drops the rest, so a chatty test never blocks on its pipe.
void HealthProbe::OnOutput() {
  constexpr size_t kMaxOutput = 4096;
  char buf[4096];
  for (int i = 0; i < 16; ++i) {
    ssize_t n = read(output_fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // end of file: every writer is gone
      CloseOutput();
      return;
    }
    output_.append(buf, std::min(size_t(n), kMaxOutput - std::min(kMaxOutput, output_.size())));
  }
}

void HealthProbe::CloseOutput() {
  output_io_.Stop();
  output_fd_.Reset();
}

// One check is over: what it printed (what is already in the pipe: a child
// it left behind may hold the pipe open) or, without output, why it ended.
void HealthProbe::Finished(bool ok, std::string why) {
  if (output_fd_) OnOutput();
  CloseOutput();
  std::string out = output_;
  while (!out.empty() && isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  last_check_ = out.empty() ? std::move(why) : std::move(out);
  Result(ok);
}

// Docker's rules: failures during start_period do not count; `retries`
// consecutive failures make the service unhealthy; one success heals it.
// Only a change of health is logged (as docker-compose does), with the
// check's output when it turns unhealthy.
void HealthProbe::Result(bool ok) {
  const HealthCheck& h = cfg_.healthcheck;
  bool in_start_period = ev_now(loop_) - began_ < Seconds(h.start_period);
  if (ok) {
    if (health_ != Health::kHealthy) Info("{}: healthy", cfg_.name);
    health_ = Health::kHealthy;
    failures_ = 0;
  } else if (!in_start_period && ++failures_ >= h.retries && health_ != Health::kUnhealthy) {
    health_ = Health::kUnhealthy;
    std::string first_line = last_check_.substr(0, last_check_.find('\n')).substr(0, 200);
    Warning("{}: unhealthy after {} failed checks: {}", cfg_.name, failures_, first_line);
    tick_.Start(h.interval);
    on_unhealthy_();  // may End() this probe
    return;
  }
  tick_.Start(h.interval);
}

}  // namespace steward
