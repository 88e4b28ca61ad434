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

constexpr size_t kFillBytes = 64 << 10;  // formatted bytes per write
constexpr int kDatagramBurst = 256;      // datagrams per turn of the loop

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
      dns_(loop) {
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
  if (result == Spool::Push::kError && state_ != State::kWaiting) {
    // Nothing else would wake us to retry the spool: a short timer does.
    ev_timer_stop(loop_, &timer_);
    ev_timer_set(&timer_, 1.0, 0);
    ev_timer_start(loop_, &timer_);
  }
}

bool NetSink::Idle() const {
  if (!batch_.empty() || !spool_.empty() || !resend_.empty() || outstanding_) return false;
  if (!stream_ || state_ != State::kConnected) return true;
  int outq = 0;
  return ioctl(sock_.get(), SIOCOUTQ, &outq) == 0 && outq == 0;
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
    Connected();
    return;
  }
  state_ = State::kConnecting;
  Watch(EV_WRITE);
}

// The socket is gone: wait out the next back-off delay, then connect again.
void NetSink::ScheduleReconnect() {
  sock_.Reset();
  Watch(0);
  state_ = State::kWaiting;
  ev_timer_stop(loop_, &timer_);
  ev_timer_set(&timer_, Seconds(backoff_.Next()), 0);
  ev_timer_start(loop_, &timer_);
}

void NetSink::ConnectFailed(const std::string& why) {
  if (!outage_reported_) {
    outage_reported_ = true;
    Warning("{}: cannot connect to {}: {}; retrying with back-off, records wait in the spool",
            name(), cfg_.url, why);
  }
  ScheduleReconnect();
}

void NetSink::Connected() {
  state_ = State::kConnected;
  if (outage_reported_) {
    outage_reported_ = false;
    Info("{}: connected to {}", name(), cfg_.url);
  }
  backoff_.Reset();
  written_ = acked_base_ = 0;
  out_.clear();
  out_off_ = frame_start_ = 0;
  frames_.clear();
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
  // What the peer may not have received goes first on the next connection;
  // what was only partly written is still in the spool.
  for (auto it = unacked_.rbegin(); it != unacked_.rend(); ++it) resend_.push_front(std::move(*it));
  unacked_.clear();
  ScheduleReconnect();
}

void NetSink::OnTimer(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<NetSink*>(w->data);
  if (self->state_ == State::kWaiting) {
    self->Connect();
  } else if (self->state_ != State::kResolving) {
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
      self->Connected();
    }
    return;
  }
  if ((revents & EV_READ) && self->stream_) {
    // Collectors send nothing; readable means closed or reset.
    char buf[512];
    ssize_t n = recv(self->sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      self->Disconnect("closed by the collector");
      return;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      self->Disconnect(strerror(errno));
      return;
    }
  }
  if (revents & EV_WRITE) self->Pump();
}

void NetSink::Pump() {
  if (state_ == State::kConnected) {
    if (stream_) {
      PumpStream();
    } else {
      PumpDatagram();
    }
  }
  if (outstanding_) {
    RetryBatch();
    if (batch_.empty()) Done();
  }
}

// Formats entries from the spool into out_: first frames to resend, then
// entries from send_pos_. False when there is nothing to send.
bool NetSink::FillOut() {
  out_.clear();
  out_off_ = frame_start_ = 0;
  frames_.clear();
  while (!resend_.empty() && out_.size() < kFillBytes) {
    out_.append(resend_.front());
    resend_.pop_front();
    frames_.push_back({out_.size(), 0});
  }
  if (send_pos_ < spool_.head()) send_pos_ = spool_.head();  // dropped meanwhile
  std::string entry;
  Record r;
  while (send_pos_ < spool_.tail() && out_.size() < kFillBytes) {
    uint64_t next;
    if (!spool_.Read(send_pos_, &entry, &next) || !DecodeRecord(entry, &r)) {
      Error("{}: spool is corrupt; dropping its content", name());
      spool_.Clear();
      send_pos_ = spool_.head();
      break;
    }
    Format(r, &out_);
    frames_.push_back({out_.size(), next});
    send_pos_ = next;
  }
  return !out_.empty();
}

void NetSink::PumpStream() {
  for (;;) {
    if (out_off_ == out_.size() && !FillOut()) {
      Watch(EV_READ);
      return;
    }
    ssize_t n = send(sock_.get(), out_.data() + out_off_, out_.size() - out_off_,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Watch(EV_READ | EV_WRITE);
      return;
    }
    if (n < 0) {
      Disconnect(strerror(errno));
      return;
    }
    out_off_ += size_t(n);
    written_ += uint64_t(n);
    uint64_t pop_to = 0;
    while (!frames_.empty() && frames_.front().end <= out_off_) {
      unacked_.push_back(out_.substr(frame_start_, frames_.front().end - frame_start_));
      if (frames_.front().pop_to) pop_to = frames_.front().pop_to;
      frame_start_ = frames_.front().end;
      frames_.pop_front();
    }
    if (pop_to) spool_.PopTo(pop_to);
    TrimAcked();
  }
}

// Forgets the frames the peer has acknowledged: the bytes written minus
// those still in the socket's send queue.
void NetSink::TrimAcked() {
  int outq = 0;
  if (ioctl(sock_.get(), SIOCOUTQ, &outq) != 0) return;
  uint64_t acked = written_ - uint64_t(outq);
  while (!unacked_.empty() && acked_base_ + unacked_.front().size() <= acked) {
    acked_base_ += unacked_.front().size();
    unacked_.pop_front();
  }
}

void NetSink::PumpDatagram() {
  std::string entry, msg;
  Record r;
  uint64_t pop_to = 0;
  for (int i = 0; i < kDatagramBurst; ++i) {
    if (send_pos_ < spool_.head()) send_pos_ = spool_.head();
    if (send_pos_ >= spool_.tail()) break;
    uint64_t next;
    if (!spool_.Read(send_pos_, &entry, &next) || !DecodeRecord(entry, &r)) {
      Error("{}: spool is corrupt; dropping its content", name());
      spool_.Clear();
      send_pos_ = spool_.head();
      break;
    }
    msg.clear();
    Format(r, &msg);
    ssize_t n = send(sock_.get(), msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      --i;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      Watch(EV_WRITE);
      break;
    }
    if (n < 0 && errno == EMSGSIZE) {
      ++too_big_;  // can never be sent: counted as dropped
    } else if (n < 0) {
      if (pop_to) spool_.PopTo(pop_to);
      Disconnect(strerror(errno));
      return;
    }
    pop_to = send_pos_ = next;
  }
  if (pop_to) spool_.PopTo(pop_to);
  if (send_pos_ < spool_.tail()) {
    if (!ev_is_active(&io_)) Watch(EV_WRITE);
  } else {
    Watch(0);
  }
}

}  // namespace steward::log
