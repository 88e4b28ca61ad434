// The forwarder process: the control socket from PID 1, sinks and drops (the drain: forwarder_drain.cpp).
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
#include "steward/util/safe_path.hpp"

namespace steward::log {
namespace forwarder {

Forwarder::Forwarder(struct ev_loop* loop, const LogConfig& cfg, std::string runtime_dir,
                     int control_fd)
    : loop_(loop), cfg_(cfg), runtime_dir_(std::move(runtime_dir)), control_(control_fd) {
  fcntl(control_fd, F_SETFL, fcntl(control_fd, F_GETFL) | O_NONBLOCK);
  control_io_.Bind<&Forwarder::OnControl>(loop_, this, control_fd, EV_READ);
  control_io_.Start();
  prepare_.Bind<&Forwarder::OnPrepare>(loop_, this);
  prepare_.Start();
  announce_.Bind<&Forwarder::OnAnnounce>(loop_, this);
  drain_deadline_.Bind<&Forwarder::OnDrainTimer>(loop_, this);
  drain_poll_.Bind<&Forwarder::CheckDrained>(loop_, this);
  handover_deadline_.Bind<&Forwarder::OnHandoverTimer>(loop_, this);
  handover_poll_.Bind<&Forwarder::CheckHandedOver>(loop_, this);
  own_wakeup_.Bind<&Forwarder::OnOwnWakeup>(loop_, this);
  MakeSinks();
  SetOwnLineSink(&Forwarder::QueueOwn, this);
}

Forwarder::~Forwarder() {  // every watcher stops itself
  SetOwnLineSink(nullptr, nullptr);
  for (const std::string& l : own_queue_) WriteAll(STDERR_FILENO, l + "\n");
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
      auto file = std::make_unique<FileSink>(loop_, index, sc, ready);
      // A file in trouble, for `ctl status` (kDropped with a second string).
      file->on_problem = [this, sink = file.get()] {
        Send(Encode(DroppedMsg{sink->name(), sink->dropped() + sink->rejected(), sink->problem()}));
      };
      sinks_.push_back(std::move(file));
      continue;
    }
    Endpoint ep;
    std::string err;
    if (!ParseEndpoint(sc.url, &ep, &err)) {
      Error("log sink {}: {}; ignored", sc.name, err);
      sinks_.push_back(nullptr);
      continue;
    }
    if (ep.tls && !sc.tls_verify) {
      Warning("{}: tls_verify = false: the collector's certificate is not checked, so anyone on "
              "the way to {} can read and change these logs",
              sc.name, sc.url);
    }
    auto net = std::make_unique<NetSink>(loop_, index, sc, ep,
                                         sc.hostname.empty() ? hostname : sc.hostname, ready);
    // Why it cannot deliver, for `ctl status` (kDropped with a second string).
    net->on_problem = [this, sink = net.get()] {
      Send(Encode(DroppedMsg{sink->name(), sink->dropped() + sink->rejected(), sink->problem()}));
    };
    net->on_rejected = [this] { CheckDrops(); };
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
// Opened through safe_path.hpp: the runtime directory may be one a service
// can write (a shared /run), where a link or a FIFO at a spool's name must
// neither redirect nor block the forwarder.
void Forwarder::OpenSpools() {
  std::string dir = runtime_dir_.empty() ? "" : runtime_dir_ + "/log";
  for (NetSink* sink : net_sinks_) {
    UniqueFd fd;
    auto it = spool_fds_.find(sink->name());
    if (it != spool_fds_.end()) {
      fd = std::move(it->second);
    } else if (!dir.empty()) {
      std::string path = dir + "/" + sink->name() + ".spool";
      OpenRequest req{O_RDWR | O_CREAT, 0600, /*directory=*/false, /*make_parents=*/true, 0700};
      SafeFile f;
      PathError e;
      if (OpenSafely(path, req, &f, &e)) {
        fd = std::move(f.fd);
        spool_files_.insert(sink->name());
      } else {
        Warning("{}: cannot open spool {}; spooling in memory", sink->name(), e.text);
      }
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
  for (auto& [id, svc] : services_)
    if (!svc->own) width = std::max(width, svc->display.size());
  console_->SetWidth(width);
}

// ---------------------------------------------------------------- control

void Forwarder::OnControl(int revents) {
  if (revents & EV_WRITE) outbox_.Flush();
  if (!(revents & EV_READ)) return;
  for (;;) {
    Message m;
    std::vector<UniqueFd> fds;
    int rc = ReceiveMessage(control_.get(), &m, &fds);
    if (rc == 1) {
      Handle(m, fds);
      continue;
    }
    if (rc == 0 || (errno != EAGAIN && errno != EINTR && errno != EBADMSG)) {
      // PID 1 is gone (or the socket broke): deliver what is there, then go.
      control_io_.Stop();
      if (!started_) StartAll();
      StartDrain(Duration(5000));
    }
    return;
  }
}

void Forwarder::Send(Message m) { outbox_.Send(std::move(m)); }

// A malformed message (a bug, never input from a service) is ignored.
void Forwarder::Handle(Message& m, std::vector<UniqueFd>& fds) {
  switch (m.type) {
    case MsgType::kAttach:
      if (AttachMsg a; Decode(m, &a)) Attach(a, fds);
      break;
    case MsgType::kSetPid:
      if (SetPidMsg a; Decode(m, &a)) SetPid(a.id, a.pid);
      break;
    case MsgType::kDetach:
      if (DetachMsg a; Decode(m, &a)) {
        auto it = services_.find(a.id);
        if (it != services_.end()) it->second->detaching = true;
        FinishDetaches();
      }
      break;
    case MsgType::kSpool:
      if (SpoolMsg a; Decode(m, &a) && fds.size() == 1) spool_fds_[a.sink] = std::move(fds[0]);
      break;
    case MsgType::kSyslog:
      if (SyslogMsg a; Decode(m, &a) && fds.size() == 1) {
        syslog_ = std::make_unique<Source>(this, Source::Kind::kSyslog, cfg_.max_line);
        syslog_->fd = std::move(fds[0]);
        syslog_->routes = ~uint64_t(0);
        syslog_->io.Bind<&Source::OnReadable>(loop_, syslog_.get(), syslog_->fd.get(), EV_READ);
        if (started_) syslog_->io.Start();
      }
      break;
    case MsgType::kStart:
      StartAll();
      break;
    case MsgType::kDrain:
      if (DrainMsg a; Decode(m, &a)) StartDrain(a.left);
      break;
    case MsgType::kTail:
      if (TailMsg a; Decode(m, &a) && fds.size() == 1) Tail(a, std::move(fds[0]));
      break;
    case MsgType::kWidth:
      if (WidthMsg a; Decode(m, &a)) {
        expected_width_ = size_t(std::max<int64_t>(0, std::min<int64_t>(a.width, 256)));
        UpdateWidth();
      }
      break;
    case MsgType::kHandover:
      if (HandoverMsg a; Decode(m, &a)) StartHandover(a);
      break;
    case MsgType::kRings:
      if (RingsMsg a; Decode(m, &a) && fds.size() == 1) TakeRings(std::move(fds[0]));
      break;
    case MsgType::kTails:
      if (TailsMsg a; Decode(m, &a)) TakeTails(fds);
      break;
    case MsgType::kDetached:
    case MsgType::kDropped:
      break;  // ours to send, not to receive
    case MsgType::kConfig:
    case MsgType::kSinkConfig:
      break;  // read once before the loop (forwarder_main.cpp)
  }
}

void Forwarder::Attach(const AttachMsg& m, std::vector<UniqueFd>& fds) {
  auto& slot = services_[m.id];
  bool fresh = !slot;
  if (fresh) slot = std::make_unique<Service>();
  Service* svc = slot.get();
  svc->id = m.id;
  svc->name = m.name;
  svc->display = m.prefix.empty() ? svc->name : m.prefix;
  svc->console = m.console;
  svc->own = m.own;
  svc->has_sinks = m.sinks.has_value();
  svc->sinks = m.sinks.value_or(std::vector<std::string>{});
  svc->mask = RouteMask(svc->name, svc->console, svc->has_sinks, svc->sinks);
  svc->ring = RingFor(svc->name);
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
  if (syslog_) syslog_->io.Start();
  for (auto& [id, svc] : services_) {
    for (Source* s : {svc->out.get(), svc->err.get()}) {
      if (!s) continue;
      FeedNew(s);  // what a killed forwarder left between the cursor and the end
      s->io.Start();
    }
  }
}

// ---------------------------------------------------------------- drops

void Forwarder::CheckDrops() {
  if (announce_.active()) return;
  for (const auto& s : sinks_) {
    if (s && (s->has_notices() || s->dropped() + s->rejected() > announced_[size_t(s->index())])) {
      // One announcement per second at most, with the count so far.
      announce_.Start(1.0);
      return;
    }
  }
}

void Forwarder::OnAnnounce() {
  // One of steward's own lines: on stderr and, as a record of service
  // "steward", into the sinks' streams where the gap is; not into a sink
  // that rejects records (EmitOwn).
  auto announce = [&](const std::string& text) { Warning("{}", text); };
  for (const auto& s : sinks_) {
    if (!s) continue;
    // Permanent errors, once per cause, before the count.
    for (const std::string& notice : s->TakeNotices()) announce(notice);
    uint64_t& announced = announced_[size_t(s->index())];
    uint64_t total = s->dropped() + s->rejected();
    if (total <= announced) continue;
    announce(fmt::format("{}: dropped {} records", s->name(), total - announced));
    announced = total;
    Send(Encode(DroppedMsg{s->name(), total}));
  }
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
