#include "steward/log/forwarder/forwarder.hpp"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forwarder_internal.hpp"
#include "steward/util/diag.hpp"
#include "steward/log/sinks/file_sink.hpp"

namespace steward::log {
namespace forwarder {

Forwarder::Forwarder(struct ev_loop* loop, const LogConfig& cfg, std::string runtime_dir,
                     int control_fd)
    : loop_(loop), cfg_(cfg), runtime_dir_(std::move(runtime_dir)), control_(control_fd) {
  fcntl(control_fd, F_SETFL, fcntl(control_fd, F_GETFL) | O_NONBLOCK);
  ev_io_init(&control_io_, &Forwarder::OnControl, control_fd, EV_READ);
  control_io_.data = this;
  ev_io_start(loop_, &control_io_);
  ev_prepare_init(&prepare_, &Forwarder::OnPrepare);
  prepare_.data = this;
  ev_prepare_start(loop_, &prepare_);
  ev_timer_init(&announce_, &Forwarder::OnAnnounce, 1.0, 0);
  announce_.data = this;
  ev_timer_init(&drain_deadline_, &Forwarder::OnDrainTimer, 0, 0);
  drain_deadline_.data = this;
  ev_timer_init(&drain_poll_, &Forwarder::OnDrainPoll, 0.02, 0.02);
  drain_poll_.data = this;
  MakeSinks();
}

Forwarder::~Forwarder() {
  ev_io_stop(loop_, &control_io_);
  ev_prepare_stop(loop_, &prepare_);
  ev_timer_stop(loop_, &announce_);
  ev_timer_stop(loop_, &drain_deadline_);
  ev_timer_stop(loop_, &drain_poll_);
  ForEachSource([this](Source* s) {
    ev_io_stop(loop_, &s->io);
    ev_timer_stop(loop_, &s->partial);
  });
}

// ---------------------------------------------------------------- setup

void Forwarder::MakeSinks() {
  std::string hostname;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) hostname = host;
  auto ready = [this](Sink* s) { OnSinkReady(s); };
  for (const SinkConfig& sc : cfg_.sinks) {
    int index = int(sinks_.size());
    if (index >= kMaxSinks - 1) {
      Error("log sink {}: too many sinks (at most {}); ignored", sc.name, kMaxSinks - 1);
      break;
    }
    if (sc.type == SinkConfig::Type::kFile) {
      sinks_.push_back(std::make_unique<FileSink>(loop_, index, sc, ready));
      continue;
    }
    Endpoint ep;
    std::string err;
    if (!ParseEndpoint(sc.url, &ep, &err)) {
      Error("log sink {}: {}; ignored", sc.name, err);
      sinks_.push_back(nullptr);
      continue;
    }
    auto net = std::make_unique<NetSink>(loop_, index, sc, ep,
                                         sc.hostname.empty() ? hostname : sc.hostname, ready);
    net_sinks_.push_back(net.get());
    sinks_.push_back(std::move(net));
  }
  if (cfg_.console != LogConfig::Console::kOff) {
    auto console = std::make_unique<ConsoleSink>(loop_, int(sinks_.size()), cfg_, STDOUT_FILENO, ready);
    console_ = console.get();
    sinks_.push_back(std::move(console));
  }
  announced_.assign(sinks_.size(), 0);
}

uint64_t Forwarder::RouteMask(const std::string& name, bool console, bool has_sinks,
                              const std::vector<std::string>& only) const {
  uint64_t mask = 0;
  for (size_t i = 0; i < cfg_.sinks.size() && i < sinks_.size(); ++i) {
    if (!sinks_[i]) continue;
    const SinkConfig& sc = cfg_.sinks[i];
    bool in = false;
    if (has_sinks) {
      for (const std::string& n : only) in = in || n == sc.name;
    } else {
      for (const std::string& g : sc.services) in = in || fnmatch(g.c_str(), name.c_str(), 0) == 0;
    }
    if (in) mask |= uint64_t(1) << i;
  }
  if (console && console_) mask |= uint64_t(1) << console_->index();
  return mask;
}

// Spools live in RUNTIME_DIR/log/NAME.spool so that they outlive this
// process; PID 1 sends memfds instead when that directory is not writable.
void Forwarder::OpenSpools() {
  std::string dir = runtime_dir_.empty() ? "" : runtime_dir_ + "/log";
  if (!dir.empty()) mkdir(dir.c_str(), 0700);
  for (NetSink* sink : net_sinks_) {
    UniqueFd fd;
    auto it = spool_fds_.find(sink->name());
    if (it != spool_fds_.end()) {
      fd = std::move(it->second);
    } else if (!dir.empty()) {
      std::string path = dir + "/" + sink->name() + ".spool";
      fd.Reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
      if (!fd) Warning("{}: cannot open spool {}: {}; spooling in memory", sink->name(), path, strerror(errno));
    }
    if (!fd) fd.Reset(memfd_create(("steward-spool-" + sink->name()).c_str(), MFD_CLOEXEC));
    std::string err;
    if (!sink->OpenSpool(std::move(fd), &err)) {
      Error("{}: {}", sink->name(), err);
      continue;
    }
    announced_[size_t(sink->index())] = sink->dropped();
    sink->Start();
  }
}

void Forwarder::UpdateWidth() {
  if (!console_) return;
  size_t width = expected_width_;
  for (auto& [id, svc] : services_) width = std::max(width, svc->display.size());
  console_->SetWidth(width);
}

// ---------------------------------------------------------------- control

void Forwarder::OnControl(struct ev_loop*, ev_io* w, int revents) {
  auto* self = static_cast<Forwarder*>(w->data);
  if (revents & EV_WRITE) {
    while (!self->outbox_.empty() && SendMessage(self->control_.get(), self->outbox_.front()) == 1) {
      self->outbox_.pop_front();
    }
    if (self->outbox_.empty()) {
      ev_io_stop(self->loop_, w);
      ev_io_set(w, self->control_.get(), EV_READ);
      ev_io_start(self->loop_, w);
    }
  }
  if (!(revents & EV_READ)) return;
  for (;;) {
    Message m;
    std::vector<UniqueFd> fds;
    int rc = ReceiveMessage(self->control_.get(), &m, &fds);
    if (rc == 1) {
      self->Handle(m, fds);
      continue;
    }
    if (rc == 0 || (errno != EAGAIN && errno != EINTR && errno != EBADMSG)) {
      // PID 1 is gone (or the socket broke): deliver what is there, then go.
      ev_io_stop(self->loop_, w);
      if (!self->started_) self->StartAll();
      self->StartDrain(Duration(5000));
    }
    return;
  }
}

void Forwarder::Send(Message m) {
  if (outbox_.empty() && SendMessage(control_.get(), m) == 1) return;
  outbox_.push_back(std::move(m));
  ev_io_stop(loop_, &control_io_);
  ev_io_set(&control_io_, control_.get(), EV_READ | EV_WRITE);
  ev_io_start(loop_, &control_io_);
}

void Forwarder::Handle(Message& m, std::vector<UniqueFd>& fds) {
  switch (m.type) {
    case MsgType::kAttach:
      Attach(m, fds);
      break;
    case MsgType::kSetPid:
      SetPid(m.id, pid_t(m.value));
      break;
    case MsgType::kDetach: {
      auto it = services_.find(m.id);
      if (it != services_.end()) it->second->detaching = true;
      FinishDetaches();
      break;
    }
    case MsgType::kSpool:
      if (m.strings.size() == 1 && fds.size() == 1) spool_fds_[m.strings[0]] = std::move(fds[0]);
      break;
    case MsgType::kSyslog:
      if (fds.size() == 1) {
        syslog_ = std::make_unique<Source>(this, Source::Kind::kSyslog, cfg_.max_line);
        syslog_->fd = std::move(fds[0]);
        syslog_->routes = ~uint64_t(0);
        ev_io_init(&syslog_->io, &Forwarder::OnSyslog, syslog_->fd.get(), EV_READ);
        syslog_->io.data = syslog_.get();
        if (started_) ev_io_start(loop_, &syslog_->io);
      }
      break;
    case MsgType::kStart:
      StartAll();
      break;
    case MsgType::kDrain:
      StartDrain(Duration(m.value));
      break;
    case MsgType::kWidth:
      expected_width_ = size_t(std::max<int64_t>(0, std::min<int64_t>(m.value, 256)));
      UpdateWidth();
      break;
    case MsgType::kDetached:
    case MsgType::kDropped:
      break;  // ours to send, not to receive
  }
}

// strings: name, prefix, console, sinks ("" = by glob, "=" + names = only these).
void Forwarder::Attach(Message& m, std::vector<UniqueFd>& fds) {
  if (m.strings.size() < 4) return;
  auto& slot = services_[m.id];
  bool fresh = !slot;
  if (fresh) slot = std::make_unique<Service>();
  Service* svc = slot.get();
  svc->id = m.id;
  svc->name = m.strings[0];
  svc->display = m.strings[1].empty() ? svc->name : m.strings[1];
  svc->console = m.strings[2] == "1";
  svc->has_sinks = m.strings[3] == "=";
  svc->sinks.assign(m.strings.begin() + 4, m.strings.end());
  svc->mask = RouteMask(svc->name, svc->console, svc->has_sinks, svc->sinks);
  tag_routes_.clear();  // a tag may now name this service
  UpdateWidth();
  if (fresh && fds.size() == 4) {
    svc->out = std::make_unique<Source>(this, Source::Kind::kPipe, cfg_.max_line);
    svc->err = std::make_unique<Source>(this, Source::Kind::kPipe, cfg_.max_line);
    InitPipe(svc->out.get(), svc, Stream::kStdout, std::move(fds[0]), std::move(fds[2]));
    InitPipe(svc->err.get(), svc, Stream::kStderr, std::move(fds[1]), std::move(fds[3]));
  }
  for (Source* s : {svc->out.get(), svc->err.get()}) {
    if (s) s->routes = svc->mask;
  }
}

void Forwarder::SetPid(uint32_t id, pid_t pid) {
  auto it = services_.find(id);
  if (it == services_.end()) return;
  Service* svc = it->second.get();
  if (svc->pid != 0 && svc->pid != pid && started_) {
    // The old process is gone: what it wrote is in the pipe already. Take
    // it now, under the old pid, and end its unterminated last line so it
    // is not glued to the first line of the next process.
    for (Source* s : {svc->out.get(), svc->err.get()}) {
      if (!s || Blocked(s)) continue;
      // Bounded: a grandchild may still be writing; what the pipe held when
      // the process was reaped fits in a few chunks.
      for (int i = 0; i < 8 && !s->eof && ReadPipe(s); ++i) {
      }
      now_ = NowMicros();
      s->splitter.Flush(true, [&](std::string_view l, bool p) { EmitLine(s, l, p); });
      AfterFeed(s);
    }
  }
  svc->pid = pid;
}

void Forwarder::StartAll() {
  if (started_) return;
  started_ = true;
  OpenSpools();
  if (syslog_) ev_io_start(loop_, &syslog_->io);
  for (auto& [id, svc] : services_) {
    for (Source* s : {svc->out.get(), svc->err.get()}) {
      if (!s) continue;
      FeedNew(s);  // what a killed forwarder left between the cursor and the end
      ev_io_start(loop_, &s->io);
    }
  }
}

// ---------------------------------------------------------------- drops

void Forwarder::CheckDrops() {
  if (ev_is_active(&announce_)) return;
  for (const auto& s : sinks_) {
    if (s && (s->has_notices() || s->dropped() + s->rejected() > announced_[size_t(s->index())])) {
      // One announcement per second at most, with the count so far.
      ev_timer_set(&announce_, 1.0, 0);
      ev_timer_start(loop_, &announce_);
      return;
    }
  }
}

void Forwarder::OnAnnounce(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Forwarder*>(w->data);
  // Into every other sink's stream, where the gap is; not into a sink that
  // rejects records (sink_error.hpp): it could reject the announcement in
  // turn, and two such sinks would announce each other every second.
  uint64_t mask = 0;
  for (const auto& t : self->sinks_) {
    if (t && t.get() != self->console_ && t->rejected() == 0) mask |= uint64_t(1) << t->index();
  }
  auto announce = [&](const std::string& text) {
    Warning("{}", text);  // steward's stderr: the console of steward's own messages
    Record r;
    r.time_us = NowMicros();
    r.service = "steward";
    r.stream = Stream::kStderr;
    r.severity = kSeverityWarning;
    r.line = "steward: warning: " + text;
    self->Dispatch(nullptr, r, "steward", mask);
  };
  for (const auto& s : self->sinks_) {
    if (!s) continue;
    // Permanent errors, once per cause, before the count.
    for (const std::string& notice : s->TakeNotices()) announce(notice);
    uint64_t& announced = self->announced_[size_t(s->index())];
    uint64_t total = s->dropped() + s->rejected();
    if (total <= announced) continue;
    announce(fmt::format("{}: dropped {} records", s->name(), total - announced));
    announced = total;
    Message m;
    m.type = MsgType::kDropped;
    m.strings = {s->name()};
    m.value = int64_t(total);
    self->Send(std::move(m));
  }
}

// ---------------------------------------------------------------- drain

void Forwarder::StartDrain(Duration left) {
  if (draining_) return;
  draining_ = true;
  // Leave PID 1 a moment between our deadline and its SIGKILL.
  Duration mine = left > Duration(400) ? left - Duration(200) : left / 2;
  ev_timer_set(&drain_deadline_, Seconds(mine), 0);
  ev_timer_start(loop_, &drain_deadline_);
  ev_timer_start(loop_, &drain_poll_);
  Kick();
  CheckDrained();
}

void Forwarder::OnDrainTimer(struct ev_loop* loop, ev_timer*, int) {
  Warning("log forwarder: shutdown deadline reached before every record was delivered");
  ev_break(loop, EVBREAK_ALL);
}

void Forwarder::OnDrainPoll(struct ev_loop*, ev_timer* w, int) {
  static_cast<Forwarder*>(w->data)->CheckDrained();
}

// Done when every pipe reached end of file with its records committed,
// /dev/log is empty, and every sink has delivered everything.
void Forwarder::CheckDrained() {
  if (!started_) return;
  bool done = dirty_sinks_ == 0 && dirty_sources_.empty();
  ForEachSource([&](Source* s) {
    if (s->waiting || s->commit_pending) done = false;
    if (s->kind == Source::Kind::kPipe && !s->eof) done = false;
  });
  if (syslog_ && done) {
    char b;
    if (syslog_->datagram_peeked || recv(syslog_->fd.get(), &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0) {
      done = false;
      Kick();
    }
  }
  for (const auto& s : sinks_) {
    if (s && !s->Idle()) done = false;
  }
  if (done) ev_break(loop_, EVBREAK_ALL);
}

}  // namespace forwarder

int RunForwarder(const LogConfig& cfg, const std::string& runtime_dir, int control_fd) {
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  if (!loop) {
    Error("log forwarder: cannot create its event loop");
    return 1;
  }
  int status;
  {
    forwarder::Forwarder f(loop, cfg, runtime_dir, control_fd);
    ev_run(loop, 0);
    status = f.exit_status();
  }
  ev_loop_destroy(loop);
  return status;
}

}  // namespace steward::log
