// The senders over a byte stream (a Transport: plain TCP or TLS): stream
// framing for syslog and json, and RELP with its answers (see sender.hpp).
#include <ev.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <deque>
#include <vector>

#include <fmt/format.h>

#include "steward/log/sinks/relp.hpp"
#include "steward/log/sinks/sender.hpp"

namespace steward::log {

namespace {

constexpr size_t kFillBytes = 64 << 10;  // formatted bytes per write

// What both share: the handshake, and writing out_ through the transport.
class TransportSender : public Sender {
 public:
  TransportSender(std::unique_ptr<Transport> t, SpoolCursor* cursor, RecordFormat format)
      : t_(std::move(t)), cursor_(cursor), format_(std::move(format)) {
    interest_ = EV_READ;
  }

  Step Handshake() override {
    std::string err;
    Transport::Io io = t_->Handshake(&err);
    if (io == Transport::Io::kOk) return Done();
    if (io == Transport::Io::kError || io == Transport::Io::kClosed) {
      return Failed(err.empty() ? "closed by the collector" : err);
    }
    WaitFor(io);
    return Pending();
  }

 protected:
  // Formats the next frames into out_ (from offset 0); false when there is nothing to send.
  virtual bool Fill() = 0;
  // out_off_ moved on.
  virtual void Written() {}

  void WaitFor(Transport::Io io) {
    interest_ = io == Transport::Io::kWantWrite ? EV_READ | EV_WRITE : EV_READ;
  }

  // Writes what is in out_, then (when may_fill) what Fill() adds, until
  // the socket is full or nothing is left.
  Step Write(bool may_fill) {
    for (;;) {
      if (out_off_ == out_.size() && (!may_fill || !Fill())) {
        interest_ = EV_READ;
        return Pending();
      }
      size_t n = 0;
      std::string err;
      Transport::Io io = t_->Write(out_.data() + out_off_, out_.size() - out_off_, &n, &err);
      if (io == Transport::Io::kError || io == Transport::Io::kClosed) {
        return Lost(err.empty() ? "closed by the collector" : err);
      }
      if (io != Transport::Io::kOk) {
        WaitFor(io == Transport::Io::kWantRead ? io : Transport::Io::kWantWrite);
        return Pending();
      }
      out_off_ += n;
      Written();
    }
  }

  // Reads one chunk: kDone with *got bytes, kPending when there is none now.
  Step ReadChunk(char* buf, size_t size, size_t* got) {
    std::string err;
    Transport::Io io = t_->Read(buf, size, got, &err);
    if (io == Transport::Io::kClosed) return Lost("closed by the collector");
    if (io == Transport::Io::kError) return Lost(err);
    return io == Transport::Io::kOk ? Done() : Pending();
  }

  std::unique_ptr<Transport> t_;
  SpoolCursor* cursor_;
  RecordFormat format_;
  std::string out_;  // formatted frames; out_off_ bytes of them are written
  size_t out_off_ = 0;
};

// syslog and json: a record leaves the spool once written; its frame is
// kept until the peer's kernel has acknowledged it.
class StreamSender : public TransportSender {
 public:
  StreamSender(std::unique_ptr<Transport> t, int fd, SpoolCursor* cursor, RecordFormat format)
      : TransportSender(std::move(t), cursor, std::move(format)), fd_(fd) {}

  Step Open() override { return Done(); }
  Step Send() override { return Write(true); }

  // The collectors of these protocols send nothing: only a close.
  Step Receive() override {
    char buf[16 << 10];
    for (;;) {
      size_t got = 0;
      Step s = ReadChunk(buf, sizeof buf, &got);
      if (s.kind != Step::Kind::kDone) return s;
    }
  }

  bool Drained() const override {
    int outq = 0;
    return ioctl(fd_, SIOCOUTQ, &outq) == 0 && outq == 0;
  }

 private:
  struct Frame {
    size_t end;       // end offset of the frame in out_
    uint64_t pop_to;  // spool position after its entry; 0 for a resent frame
  };

  // First the frames to send again, then entries from the cursor.
  bool Fill() override {
    out_.clear();
    out_off_ = frame_start_ = 0;
    frames_.clear();
    while (cursor_->has_resend() && out_.size() < kFillBytes) {
      out_.append(cursor_->TakeResend());
      frames_.push_back({out_.size(), 0});
    }
    Record r;
    uint64_t next;
    while (out_.size() < kFillBytes && cursor_->Peek(&r, &next) == SpoolCursor::Read::kEntry) {
      format_(r, &out_);
      frames_.push_back({out_.size(), next});
      cursor_->SentTo(next);
    }
    return !out_.empty();
  }

  void Written() override {
    uint64_t pop_to = 0;
    while (!frames_.empty() && frames_.front().end <= out_off_) {
      cursor_->Keep(out_.substr(frame_start_, frames_.front().end - frame_start_), t_->wire_written());
      if (frames_.front().pop_to) pop_to = frames_.front().pop_to;
      frame_start_ = frames_.front().end;
      frames_.pop_front();
    }
    if (pop_to) cursor_->Ack(pop_to);
    // Forgets the frames the peer's kernel has acknowledged: the bytes
    // handed to the socket minus those still in its send queue.
    int outq = 0;
    if (ioctl(fd_, SIOCOUTQ, &outq) != 0) return;
    cursor_->AckedUpTo(t_->wire_written() - uint64_t(outq));
  }

  int fd_;
  size_t frame_start_ = 0;  // start of frames_.front() in out_
  std::deque<Frame> frames_;  // frames not yet completely written
};

// RELP: one `syslog` transaction per record, up to `window` in flight; a
// record leaves the spool when the collector answers it.
class RelpSender : public TransportSender {
 public:
  RelpSender(std::unique_ptr<Transport> t, SpoolCursor* cursor, RecordFormat format, int window,
             SenderEvents* events)
      : TransportSender(std::move(t), cursor, std::move(format)), window_(size_t(window)), events_(events) {}

  bool answers() const override { return true; }
  bool Drained() const override { return true; }  // what is unanswered is in the spool

  // The open is the session's first transaction; its answer (Receive)
  // completes the opening.
  Step Open() override {
    out_.clear();
    out_off_ = 0;
    relp::AppendFrame(1, "open", relp::OpenOffers(), &out_);
    txnr_ = 2;
    return Write(false);
  }
  Step Send() override { return Write(open_); }

  Step Receive() override {
    char buf[16 << 10];
    std::string err;
    for (;;) {
      bool answered = false;
      while (!frames_.empty()) {
        relp::Frame f = std::move(frames_.front());
        frames_.pop_front();
        Step s = OnFrame(f);
        if (s.kind != Step::Kind::kPending) return s;
        answered = true;
      }
      if (answered) {
        Step s = Write(true);  // the window has room again
        if (s.kind != Step::Kind::kPending) return s;
      }
      size_t got = 0;
      Step s = ReadChunk(buf, sizeof buf, &got);
      if (s.kind != Step::Kind::kDone) return s;
      std::vector<relp::Frame> frames;
      if (!reader_.Feed(std::string_view(buf, got), &frames, &err)) return Lost(err);
      for (relp::Frame& f : frames) frames_.push_back(std::move(f));
    }
  }

 private:
  struct Txn {
    uint32_t txnr;
    uint64_t pop_to;  // spool position after the record
  };

  bool Fill() override {
    out_.clear();
    out_off_ = 0;
    std::string msg;
    Record r;
    uint64_t next;
    while (txns_.size() < window_ && out_.size() < kFillBytes) {
      SpoolCursor::Read got = cursor_->Peek(&r, &next);
      if (got == SpoolCursor::Read::kCorrupt) txns_.clear();
      if (got != SpoolCursor::Read::kEntry) break;
      msg.clear();
      format_(r, &msg);
      relp::AppendFrame(txnr_, "syslog", msg, &out_);
      txns_.push_back({txnr_, next});
      txnr_ = relp::NextTxnr(txnr_);
      cursor_->SentTo(next);
    }
    return !out_.empty();
  }

  // One frame from the collector.
  Step OnFrame(const relp::Frame& f) {
    if (f.command == "serverclose") return Lost("the collector closed the session (serverclose)");
    int code = 0;
    std::string text;
    if (f.command != "rsp" || !relp::ParseRsp(f.data, &code, &text)) {
      return Lost("RELP: unexpected '" + f.command + "' from the collector");
    }
    if (!open_) {
      if (f.txnr != 1 || code != 200) {
        return Failed(fmt::format("RELP: the collector refused the session: {} {}", code, text));
      }
      open_ = true;
      return Done();
    }
    // imrelp answers in order; anything else means we lost track.
    if (txns_.empty() || txns_.front().txnr != f.txnr) {
      return Lost(fmt::format("RELP: answer to transaction {}, expected {}", f.txnr,
                              txns_.empty() ? 0 : txns_.front().txnr));
    }
    uint64_t pop_to = txns_.front().pop_to;
    txns_.pop_front();
    events_->Acknowledged();
    if (code != 200) events_->Refused(code, text);
    cursor_->Ack(pop_to);
    return Pending();
  }

  size_t window_;
  SenderEvents* events_;
  bool open_ = false;  // the collector answered `open`
  relp::Reader reader_;
  std::deque<relp::Frame> frames_;  // read, not yet handled
  uint32_t txnr_ = 1;
  std::deque<Txn> txns_;  // sent, not yet answered, oldest first
};

}  // namespace

std::unique_ptr<Sender> MakeStreamSender(std::unique_ptr<Transport> t, int fd, SpoolCursor* cursor,
                                         RecordFormat format) {
  return std::make_unique<StreamSender>(std::move(t), fd, cursor, std::move(format));
}

std::unique_ptr<Sender> MakeRelpSender(std::unique_ptr<Transport> t, SpoolCursor* cursor,
                                       RecordFormat format, int window, SenderEvents* events) {
  return std::make_unique<RelpSender>(std::move(t), cursor, std::move(format), window, events);
}

}  // namespace steward::log
