// A network sink's sending side: the spool drained into a stream (through
// its Transport, with relp's window and answers) or into datagrams.
#include <errno.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "steward/log/sinks/net_sink.hpp"
#include "steward/util/diag.hpp"

namespace steward::log {

namespace {

constexpr size_t kFillBytes = 64 << 10;  // formatted bytes per write
constexpr int kDatagramBurst = 256;      // datagrams per turn of the loop

}  // namespace

void NetSink::Pump() {
  if (state_ == State::kOpening) {
    PumpStream();  // the rest of the open frame
  } else if (state_ == State::kConnected) {
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

void NetSink::WatchFor(Transport::Io io) {
  Watch(io == Transport::Io::kWantWrite ? EV_READ | EV_WRITE : EV_READ);
}

// Formats entries from the spool into out_: first frames to resend, then
// entries from send_pos_. False when there is nothing to send.
bool NetSink::FillOut() {
  out_.clear();
  out_off_ = frame_start_ = 0;
  frames_.clear();
  if (relp_) return FillRelp();
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

// RELP: one `syslog` transaction per record while the window has room. The
// records stay in the spool until answered (OnRelp).
bool NetSink::FillRelp() {
  if (send_pos_ < spool_.head()) send_pos_ = spool_.head();
  std::string entry, msg;
  Record r;
  while (send_pos_ < spool_.tail() && txns_.size() < size_t(cfg_.window) && out_.size() < kFillBytes) {
    uint64_t next;
    if (!spool_.Read(send_pos_, &entry, &next) || !DecodeRecord(entry, &r)) {
      Error("{}: spool is corrupt; dropping its content", name());
      spool_.Clear();
      send_pos_ = spool_.head();
      txns_.clear();
      break;
    }
    msg.clear();
    Format(r, &msg);
    relp::AppendFrame(txnr_, "syslog", msg, &out_);
    txns_.push_back({txnr_, next});
    txnr_ = relp::NextTxnr(txnr_);
    send_pos_ = next;
  }
  return !out_.empty();
}

void NetSink::PumpStream() {
  for (;;) {
    if (out_off_ == out_.size() && (state_ != State::kConnected || !FillOut())) {
      Watch(EV_READ);
      return;
    }
    size_t n = 0;
    std::string err;
    Transport::Io io = transport_->Write(out_.data() + out_off_, out_.size() - out_off_, &n, &err);
    if (io == Transport::Io::kError || io == Transport::Io::kClosed) {
      Disconnect(err.empty() ? "closed by the collector" : err);
      return;
    }
    if (io != Transport::Io::kOk) {
      WatchFor(io == Transport::Io::kWantRead ? io : Transport::Io::kWantWrite);
      return;
    }
    out_off_ += n;
    if (relp_) continue;  // answers, not the kernel, release relp's records
    uint64_t pop_to = 0;
    while (!frames_.empty() && frames_.front().end <= out_off_) {
      unacked_.push_back({out_.substr(frame_start_, frames_.front().end - frame_start_),
                          transport_->wire_written()});
      if (frames_.front().pop_to) pop_to = frames_.front().pop_to;
      frame_start_ = frames_.front().end;
      frames_.pop_front();
    }
    if (pop_to) spool_.PopTo(pop_to);
    TrimAcked();
  }
}

// Forgets the frames the peer's kernel has acknowledged: the bytes handed
// to the socket minus those still in its send queue.
void NetSink::TrimAcked() {
  int outq = 0;
  if (ioctl(sock_.get(), SIOCOUTQ, &outq) != 0) return;
  uint64_t acked = transport_->wire_written() - uint64_t(outq);
  while (!unacked_.empty() && unacked_.front().wire_end <= acked) unacked_.pop_front();
}

// The socket is readable: relp's answers, or (other protocols, whose
// collectors send nothing) a close.
void NetSink::ReadStream() {
  char buf[16 << 10];
  std::vector<relp::Frame> frames;
  for (;;) {
    size_t got = 0;
    std::string err;
    Transport::Io io = transport_->Read(buf, sizeof buf, &got, &err);
    if (io == Transport::Io::kClosed) return Disconnect("closed by the collector");
    if (io == Transport::Io::kError) return Disconnect(err);
    if (io != Transport::Io::kOk) return;
    if (!relp_) continue;
    frames.clear();
    if (!reader_.Feed(std::string_view(buf, got), &frames, &err)) return Disconnect(err);
    for (const relp::Frame& f : frames) {
      if (!OnRelp(f)) return;
    }
    if (state_ != State::kConnected) continue;
    Pump();  // the window has room again
    if (state_ != State::kConnected) return;
  }
}

// One frame from the collector. False when the session was dropped.
bool NetSink::OnRelp(const relp::Frame& f) {
  if (f.command == "serverclose") {
    Disconnect("the collector closed the session (serverclose)");
    return false;
  }
  int code = 0;
  std::string text;
  if (f.command != "rsp" || !relp::ParseRsp(f.data, &code, &text)) {
    Disconnect("RELP: unexpected '" + f.command + "' from the collector");
    return false;
  }
  if (state_ == State::kOpening) {
    if (f.txnr != 1 || code != 200) {
      ConnectFailed(fmt::format("RELP: the collector refused the session: {} {}", code, text));
      return false;
    }
    Connected();
    return state_ == State::kConnected;
  }
  // imrelp answers in order; anything else means we lost track.
  if (txns_.empty() || txns_.front().txnr != f.txnr) {
    Disconnect(fmt::format("RELP: answer to transaction {}, expected {}", f.txnr,
                           txns_.empty() ? 0 : txns_.front().txnr));
    return false;
  }
  uint64_t pop_to = txns_.front().pop_to;
  txns_.pop_front();
  backoff_.Reset();
  if (code != 200) {
    // The collector will not take this record: permanent for it (SPEC §5),
    // counted; the next one goes on. A collector that refuses one record
    // refuses the next thousand alike: one notice per answer code, and the
    // forwarder's `dropped N records` carries the count.
    Reject(1, SinkRejection{fmt::format("relp rsp {}", code),
                            fmt::format("{}: the collector refused a record: {} {}; refused "
                                        "records are dropped for this sink and counted",
                                        name(), code, text)});
    if (on_rejected) on_rejected();
  }
  if (pop_to > spool_.head()) spool_.PopTo(pop_to);
  return true;
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
