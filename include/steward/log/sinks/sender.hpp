// How a network sink puts records on one connection: one Sender per
// protocol, all reading one SpoolCursor (SPEC §5 "Delivery guarantees").
//
// The connection's life (resolve, connect, handshake, open, back-off) is
// the Link's table (link.hpp); a Sender only speaks its protocol on a
// connected socket, and is made new for each connection:
//   - stream: syslog (octet-counted or LF) and json over tcp:// or tls://;
//     a record leaves the spool once written, its frame is kept until the
//     peer's kernel acknowledged it (SIOCOUTQ) and sent again first after
//     a broken connection;
//   - relp: a record leaves the spool only on the collector's `rsp 200`,
//     up to `window` transactions in flight;
//   - datagram: udp:// and a unix datagram socket, one record per datagram.
// An HTTP sender (a batch that leaves the spool on a 2xx) is one more.
//
// A Sender never changes the connection's state itself: each call returns
// a Step the Link turns into an event of its table, so nothing is torn
// down under a Sender's feet. interest() is the socket readiness it waits
// for after its last call (EV_READ, EV_WRITE, both, or 0).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "steward/log/record.hpp"
#include "steward/log/sinks/spool.hpp"
#include "steward/log/sinks/transport.hpp"

namespace steward::log {

// The spool as the senders see it: what is sent (the send position), what
// is acknowledged (the spool's head: entries before it have left), and
// what is to be sent again (frames that left the spool but that the peer
// may not have received, kept in memory). Lives as long as the sink, so it
// outlasts every connection.
class SpoolCursor {
 public:
  enum class Read { kEntry, kEnd, kCorrupt };

  SpoolCursor(Spool* spool, std::string sink_name) : spool_(spool), name_(std::move(sink_name)) {}

  // The first record not yet sent, and the position after it. kCorrupt
  // (said once, as an error) empties the spool.
  Read Peek(Record* r, uint64_t* after);
  // Everything before pos is sent.
  void SentTo(uint64_t pos) { next_ = pos; }
  // Something in the spool is not sent yet.
  bool unsent() const { return std::max(next_, spool_->head()) < spool_->tail(); }
  // Everything not acknowledged is sent again (a new connection).
  void Rewind() { next_ = spool_->head(); }
  // Acknowledged: the entries before pos leave the spool.
  void Ack(uint64_t pos) { spool_->PopTo(pos); }

  // A frame that left the spool; mark is where it ends on the wire.
  void Keep(std::string frame, uint64_t mark) { kept_.push_back({std::move(frame), mark}); }
  // The peer has everything up to acked on the wire: those frames are delivered.
  void AckedUpTo(uint64_t acked);
  // The connection broke: the kept frames go first on the next one.
  void Lost();
  bool has_resend() const { return !resend_.empty(); }
  std::string TakeResend();

  // A record that can never be sent (a datagram too big): counted, dropped.
  void CountUnsendable() { ++unsendable_; }
  uint64_t unsendable() const { return unsendable_; }
  // Records not known to be delivered: in the spool, kept, or to resend.
  uint64_t Undelivered() const;
  // Nothing in the spool and nothing to resend.
  bool empty() const { return spool_->empty() && resend_.empty(); }
  const std::string& name() const { return name_; }

 private:
  struct Kept {
    std::string frame;
    uint64_t mark;
  };
  Spool* spool_;
  std::string name_;
  uint64_t next_ = 0;
  std::string entry_;  // Peek's buffer, kept for its capacity
  std::deque<Kept> kept_;
  std::deque<std::string> resend_;
  uint64_t unsendable_ = 0;
};

// What a sender tells the sink without changing the connection's state.
class SenderEvents {
 public:
  virtual ~SenderEvents() = default;
  // The collector answered a record: the connection works (back-off resets).
  virtual void Acknowledged() = 0;
  // The collector refused a record (relp rsp 500): dropped for this sink, counted.
  virtual void Refused(int code, const std::string& text) = 0;
};

class Sender {
 public:
  // kPending: wait for interest(); kDone: the step is complete (handshake
  // done, session open); kFailed: the attempt failed (an outage before a
  // session); kLost: a working connection broke. why says why.
  struct Step {
    enum class Kind { kPending, kDone, kFailed, kLost };
    Kind kind = Kind::kPending;
    std::string why;
  };

  virtual ~Sender() = default;
  // The transport's opening (TLS), on the connected socket.
  virtual Step Handshake() = 0;
  // The protocol's opening (RELP's `open`): kDone when open at once.
  virtual Step Open() = 0;
  // Sends from the cursor as far as the socket takes (the rest of the
  // opening while not open yet).
  virtual Step Send() = 0;
  // The socket is readable: answers, or a close. kDone: the opening was answered.
  virtual Step Receive() = 0;
  // Nothing in flight on this connection (the peer's kernel has it all).
  virtual bool Drained() const = 0;
  // Only the collector's answers prove the connection works (relp): the
  // back-off resets on an answer, not on the session's opening.
  virtual bool answers() const { return false; }
  int interest() const { return interest_; }

 protected:
  static Step Pending() { return {}; }
  static Step Done() { return {Step::Kind::kDone, {}}; }
  static Step Failed(std::string why) { return {Step::Kind::kFailed, std::move(why)}; }
  static Step Lost(std::string why) { return {Step::Kind::kLost, std::move(why)}; }
  int interest_ = 0;
};

// Formats one record as the sink sends it (framing included for streams).
using RecordFormat = std::function<void(const Record&, std::string*)>;

// Over a transport (plain TCP or TLS) on socket fd, which stays the sink's.
std::unique_ptr<Sender> MakeStreamSender(std::unique_ptr<Transport> t, int fd, SpoolCursor* cursor,
                                         RecordFormat format);
std::unique_ptr<Sender> MakeRelpSender(std::unique_ptr<Transport> t, SpoolCursor* cursor,
                                       RecordFormat format, int window, SenderEvents* events);
std::unique_ptr<Sender> MakeDatagramSender(int fd, SpoolCursor* cursor, RecordFormat format);

}  // namespace steward::log
