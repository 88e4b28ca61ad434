// A network sink's life: its spool, and the connection (resolve, connect,
// TLS handshake, RELP open, back-off). Sending is in net_sink_send.cpp.
#include "steward/log/sinks/net_sink.hpp"

#include <errno.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <chrono>

#include "steward/util/diag.hpp"
#include "steward/log/sinks/format.hpp"

namespace steward::log {

namespace {

// A collector that accepts the connection but never finishes the TLS
// handshake or never answers RELP's open is an outage too.
constexpr double kOpenTimeout = 10.0;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

NetSink::NetSink(struct ev_loop* loop, int index, const SinkConfig& cfg, const Endpoint& ep,
                 std::string hostname, Ready ready)
    : Sink(cfg.name, index, std::move(ready)),
      loop_(loop),
      cfg_(cfg),
      ep_(ep),
      hostname_(std::move(hostname)),
      stream_(ep.kind == Endpoint::Kind::kTcp),
      relp_(cfg.type == SinkConfig::Type::kRelp),
      dns_(loop) {
  if (ep.tls) {
    TlsOptions o;
    if (!cfg.tls_ca.empty()) o.ca = cfg.tls_ca;
    o.cert = cfg.tls_cert;
    o.key = cfg.tls_key;
    o.server_name = cfg.tls_server_name.empty() ? ep.host : cfg.tls_server_name;
    o.verify = cfg.tls_verify;
    tls_ = std::make_unique<TlsContext>(std::move(o));
  }
  ev_io_init(&io_, &NetSink::OnIo, -1, 0);
  io_.data = this;
  ev_timer_init(&timer_, &NetSink::OnTimer, 0, 0);
  timer_.data = this;
}

NetSink::~NetSink() {
  ev_io_stop(loop_, &io_);
  ev_timer_stop(loop_, &timer_);
}

bool NetSink::OpenSpool(UniqueFd fd, std::string* err) {
  std::string note;
  if (!spool_.Open(std::move(fd), cfg_.buffer, &note, err)) return false;
  if (!note.empty()) Warning("{}: spool: {}", name(), note);
  send_pos_ = spool_.head();
  return true;
}

void NetSink::Start() { Connect(); }

void NetSink::Format(const Record& r, std::string* out) const {
  if (relp_) {
    if (cfg_.rfc3164) {
      AppendRfc3164(r, cfg_.facility, hostname_, out);
    } else {
      AppendRfc5424(r, cfg_.facility, hostname_, out);
    }
    return;
  }
  if (cfg_.type == SinkConfig::Type::kJson) {
    AppendJson(r, r.service, out);
    if (!stream_) out->resize(out->size() - 1);  // a datagram needs no newline
    return;
  }
  std::string msg;
  if (cfg_.rfc3164) {
    AppendRfc3164(r, cfg_.facility, hostname_, &msg);
  } else {
    AppendRfc5424(r, cfg_.facility, hostname_, &msg);
  }
  if (!stream_) {
    out->append(msg);
  } else if (cfg_.octet_counting) {
    AppendOctetCounted(msg, out);
  } else {
    AppendLfFramed(msg, out);
  }
}

void NetSink::Add(const Record& r, std::string_view) {
  std::string entry;
  EncodeRecord(r, &entry);
  Spool::Frame(entry, &batch_);
}

bool NetSink::Flush() {
  RetryBatch();
  Pump();
  if (batch_.empty()) return true;
  RetryBatch();  // the sender may have made room
  if (batch_.empty()) return true;
  outstanding_ = true;
  return false;
}

// Moves batch_ into the spool, as far as it goes.
void NetSink::RetryBatch() {
  if (batch_.empty()) return;
  Spool::Push result;
  size_t n = spool_.AppendFramed(batch_, !cfg_.overflow_block, &result);
  batch_.erase(0, n);
  if (result == Spool::Push::kError && !spool_error_reported_) {
    spool_error_reported_ = true;
    Error("{}: cannot write its spool: {}; records are held until it can", name(), spool_.error());
  } else if (result != Spool::Push::kError) {
    spool_error_reported_ = false;
  }
  if (result == Spool::Push::kError && state_ == State::kConnected) {
    // Nothing else would wake us to retry the spool: a short timer does.
    ev_timer_stop(loop_, &timer_);
    ev_timer_set(&timer_, 1.0, 0);
    ev_timer_start(loop_, &timer_);
  }
}

bool NetSink::Idle() const {
  if (!batch_.empty() || !spool_.empty() || !resend_.empty() || outstanding_) return false;
  if (!stream_ || relp_ || state_ != State::kConnected) return true;
  int outq = 0;
  return ioctl(sock_.get(), SIOCOUTQ, &outq) == 0 && outq == 0;
}

bool NetSink::InOutage() const { return state_ != State::kConnected && !problem_.empty(); }

uint64_t NetSink::Undelivered() const {
  uint64_t n = unacked_.size() + resend_.size();
  std::string entry;
  for (uint64_t pos = spool_.head(), next; pos < spool_.tail() && spool_.Read(pos, &entry, &next); pos = next) ++n;
  return n;
}

void NetSink::Watch(int events) {
  if (io_.fd == sock_.get() && (io_.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&io_)) {
    return;
  }
  ev_io_stop(loop_, &io_);
  if (!sock_ || events == 0) return;
  ev_io_set(&io_, sock_.get(), events);
  ev_io_start(loop_, &io_);
}

void NetSink::Connect() {
  if (ep_.kind == Endpoint::Kind::kUnix) {
    ConnectTo("");
    return;
  }
  // Resolved again at each attempt: a collector may move (Kubernetes).
  state_ = State::kResolving;
  dns_.Start(ep_.host, [this](bool ok, const std::string& result) {
    if (ok) {
      ConnectTo(result);
    } else {
      ConnectFailed(result);
    }
  });
}

void NetSink::ConnectTo(const std::string& address) {
  bool in_progress = false;
  std::string err;
  sock_ = log::Connect(ep_, address, &in_progress, &err);
  if (!sock_) {
    ConnectFailed(err);
    return;
  }
  if (ep_.kind == Endpoint::Kind::kUnix) {
    int type = 0;
    socklen_t len = sizeof type;
    getsockopt(sock_.get(), SOL_SOCKET, SO_TYPE, &type, &len);
    stream_ = type == SOCK_STREAM;
  }
  if (!in_progress) {
    StartSession();
    return;
  }
  state_ = State::kConnecting;
  Watch(EV_WRITE);
}

// The socket is gone: wait out the next back-off delay, then connect again.
void NetSink::ScheduleReconnect() {
  transport_.reset();
  sock_.Reset();
  Watch(0);
  state_ = State::kWaiting;
  ev_timer_stop(loop_, &timer_);
  ev_timer_set(&timer_, Seconds(backoff_.Next()), 0);
  ev_timer_start(loop_, &timer_);
}

// One message per outage, and another when it turns into a TLS or RELP
// failure, which the user must act on (the collector came up, but its
// certificate does not verify).
void NetSink::ConnectFailed(const std::string& why) {
  bool protocol = why.compare(0, 5, "TLS: ") == 0 || why.compare(0, 6, "RELP: ") == 0;
  if (!outage_reported_ || (protocol && why != problem_)) {
    outage_reported_ = true;
    if (protocol) {
      Warning("{}: {} (connecting to {}); retrying with back-off, records wait in the spool",
              name(), why, cfg_.url);
    } else {
      Warning("{}: cannot connect to {}: {}; retrying with back-off, records wait in the spool",
              name(), cfg_.url, why);
    }
  }
  SetProblem(why);
  ScheduleReconnect();
}

// PID 1 keeps the last problem it was told across forwarder restarts, so
// the first state of a new forwarder is always sent.
void NetSink::SetProblem(const std::string& why) {
  if (why == problem_ && problem_told_) return;
  problem_told_ = true;
  problem_ = why;
  if (on_problem) on_problem();
}

// The socket is connected: TLS first when asked for, then RELP's open.
void NetSink::StartSession() {
  if (!stream_) return Connected();
  if (tls_) {
    std::string err;
    if (!tls_->Load(&err)) return ConnectFailed(err);
    transport_ = tls_->NewSession(sock_.get());
  } else {
    transport_ = MakePlainTransport(sock_.get());
  }
  state_ = State::kHandshaking;
  ev_timer_stop(loop_, &timer_);
  ev_timer_set(&timer_, kOpenTimeout, 0);
  ev_timer_start(loop_, &timer_);
  Handshake();
}

void NetSink::Handshake() {
  std::string err;
  Transport::Io io = transport_->Handshake(&err);
  if (io == Transport::Io::kOk) return Opened();
  if (io == Transport::Io::kError || io == Transport::Io::kClosed) {
    return ConnectFailed(err.empty() ? "closed by the collector" : err);
  }
  WatchFor(io);
}

void NetSink::Opened() {
  if (!relp_) {
    ev_timer_stop(loop_, &timer_);
    return Connected();
  }
  // The open is the session's first transaction; Pump() writes it, and the
  // collector's answer (OnRelp) completes the connection.
  state_ = State::kOpening;
  reader_.Reset();
  txns_.clear();
  out_.clear();
  out_off_ = frame_start_ = 0;
  frames_.clear();
  relp::AppendFrame(1, "open", relp::OpenOffers(), &out_);
  txnr_ = 2;
  PumpStream();
}

void NetSink::Connected() {
  ev_timer_stop(loop_, &timer_);  // the open timeout
  state_ = State::kConnected;
  if (outage_reported_) {
    outage_reported_ = false;
    Info("{}: connected to {}", name(), cfg_.url);
  }
  SetProblem("");
  // relp: only once a record is answered (OnRelp), so that a collector that
  // accepts the session but drops it at some record is not retried hot.
  if (!relp_) backoff_.Reset();
  out_.clear();
  out_off_ = frame_start_ = 0;
  frames_.clear();
  txns_.clear();
  send_pos_ = spool_.head();
  Watch(stream_ ? EV_READ : 0);
  Pump();
}

void NetSink::Disconnect(const std::string& why) {
  if (!outage_reported_) {
    outage_reported_ = true;
    Warning("{}: connection to {} lost: {}; reconnecting, records wait in the spool", name(),
            cfg_.url, why);
  }
  SetProblem(why);
  // What the peer may not have received goes first on the next connection;
  // what was only partly written is still in the spool. (relp: everything
  // unanswered is still in the spool.)
  for (auto it = unacked_.rbegin(); it != unacked_.rend(); ++it) resend_.push_front(std::move(it->frame));
  unacked_.clear();
  txns_.clear();
  ScheduleReconnect();
}

void NetSink::OnTimer(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<NetSink*>(w->data);
  if (self->state_ == State::kWaiting) {
    self->Connect();
  } else if (self->state_ == State::kHandshaking) {
    self->ConnectFailed(self->tls_ ? "TLS: no handshake from the collector within 10 s"
                                   : "no answer from the collector within 10 s");
  } else if (self->state_ == State::kOpening) {
    self->ConnectFailed("RELP: no answer to open within 10 s (is it an imrelp port?)");
  } else if (self->state_ == State::kConnected) {
    self->Pump();  // spool retry
  }
}

void NetSink::OnIo(struct ev_loop*, ev_io* w, int revents) {
  auto* self = static_cast<NetSink*>(w->data);
  if (self->state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(self->sock_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      self->ConnectFailed(strerror(err));
    } else {
      self->StartSession();
    }
    return;
  }
  if (self->state_ == State::kHandshaking) return self->Handshake();
  if ((revents & EV_READ) && self->stream_) {
    self->ReadStream();
    if (self->state_ != State::kConnected && self->state_ != State::kOpening) return;
  }
  if (revents & EV_WRITE) self->Pump();
}


}  // namespace steward::log
