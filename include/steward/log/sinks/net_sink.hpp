// A network sink: `type = "syslog"` (RFC 5424 or 3164), `type = "json"`
// (NDJSON) over tcp, tls, udp or a unix socket, or `type = "relp"` over tcp
// or tls (SPEC §5).
//
// Every record goes through the sink's Spool first (Flush() is the append),
// and a sender drains the spool to the socket, so a collector that is down
// or slow never slows anything else: only the spool fills, and then drops
// its oldest records (counted) or, with overflow = "block", keeps the batch
// outstanding so that the services routed here block.
//
// Connection: non-blocking connect, exponential back-off with jitter
// (100 ms to 30 s) while it fails, one message per outage. On a stream
// socket a record leaves the spool once written to the socket, but its frame
// is kept in memory until the peer's kernel has acknowledged it (SIOCOUTQ):
// when the connection breaks, those frames are sent again first, so a
// collector restart loses nothing that was still in flight (it may see a
// few records twice). What a collector's kernel acknowledged but the
// collector never read is lost when it is killed: plain TCP cannot know.
//
// RELP knows: a record leaves the spool only when the collector answered
// its transaction with `rsp 200`. Up to `window` transactions are in
// flight; after a broken session the sender starts again at the spool's
// head, so every unanswered record is sent again, in order.
//
// A stream socket carries a Transport (transport.hpp): plain TCP, or TLS
// with tls://, whose handshake runs in the loop like the connect does. A
// failed handshake (a certificate that does not verify) is an outage like
// a refused connection; problem() says why until the next success.
//
// Owns the socket, the transport and the spool descriptor.
#pragma once

#include <ev.h>

#include <deque>
#include <memory>

#include "steward/config/config.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/dns.hpp"
#include "steward/log/sinks/endpoint.hpp"
#include "steward/log/sinks/relp.hpp"
#include "steward/log/sinks/sink.hpp"
#include "steward/log/sinks/spool.hpp"
#include "steward/log/sinks/tls.hpp"
#include "steward/log/sinks/transport.hpp"

namespace steward::log {

class NetSink : public Sink {
 public:
  NetSink(struct ev_loop* loop, int index, const SinkConfig& cfg, const Endpoint& ep,
          std::string hostname, Ready ready);
  ~NetSink() override;

  // Before Start(): the spool, a file in the runtime directory or a memfd.
  bool OpenSpool(UniqueFd fd, std::string* err);
  // Connects (and keeps reconnecting).
  void Start();

  void Add(const Record& r, std::string_view display) override;
  bool Flush() override;
  bool Idle() const override;
  // Not connected, and the last attempt failed (problem() says why): the
  // records wait in the spool for the next connection, or the next start.
  bool InOutage() const override;
  // Records not known to be delivered: in the spool, and written to a
  // socket but not acknowledged (for the warning of a sink a reload removes).
  uint64_t Undelivered() const;
  // Spool overflow and oversized datagrams; records the collector refused
  // are rejected() (Sink::Reject).
  uint64_t dropped() const override { return spool_.dropped() + too_big_; }

  // Why the sink cannot deliver right now ("TLS: certificate has expired"),
  // "" while it can. on_problem is called whenever it changes.
  const std::string& problem() const { return problem_; }
  std::function<void()> on_problem;
  // Called when the collector refused a record (relp), which happens
  // between the forwarder's rounds: the forwarder then announces it.
  std::function<void()> on_rejected;

  // One record as this sink sends it, framing included (for tests). For
  // relp, the message that goes in the `syslog` command.
  void Format(const Record& r, std::string* out) const;

 private:
  // kHandshaking: TLS handshake; kOpening: RELP `open` sent, not answered.
  enum class State { kWaiting, kResolving, kConnecting, kHandshaking, kOpening, kConnected };
  struct Frame {
    size_t end;         // end offset of the frame in out_
    uint64_t pop_to;    // spool position after its entry; 0 for a resent frame
  };
  struct Unacked {
    std::string frame;
    uint64_t wire_end;  // transport's wire_written() once the frame was written
  };
  struct Txn {
    uint32_t txnr;
    uint64_t pop_to;  // spool position after the record
  };

  static void OnIo(struct ev_loop* loop, ev_io* w, int revents);
  static void OnTimer(struct ev_loop* loop, ev_timer* w, int revents);
  void Connect();
  void ConnectTo(const std::string& address);
  void ScheduleReconnect();
  void ConnectFailed(const std::string& why);
  void StartSession();
  void Handshake();
  void Opened();
  void Connected();
  void Disconnect(const std::string& why);
  void SetProblem(const std::string& why);
  void Pump();
  void PumpStream();
  void PumpDatagram();
  bool FillOut();
  bool FillRelp();
  void TrimAcked();
  void RetryBatch();
  void Watch(int events);
  void WatchFor(Transport::Io io);
  void ReadStream();
  bool OnRelp(const relp::Frame& f);

  struct ev_loop* loop_;
  SinkConfig cfg_;
  Endpoint ep_;
  std::string hostname_;
  Spool spool_;
  std::string batch_;  // framed spool entries added since the last Flush
  UniqueFd sock_;
  bool stream_ = true;  // false for udp and unix datagram sockets
  bool relp_ = false;
  std::unique_ptr<TlsContext> tls_;       // tls:// only
  std::unique_ptr<Transport> transport_;  // stream sockets, while connected
  State state_ = State::kWaiting;
  ev_io io_{};
  ev_timer timer_{};
  DnsLookup dns_;
  Backoff backoff_;
  bool outage_reported_ = false;
  std::string problem_;
  bool problem_told_ = false;  // on_problem called at least once
  bool spool_error_reported_ = false;
  uint64_t too_big_ = 0;  // datagrams the kernel refused as too large

  // Stream sending. out_ holds formatted frames; out_off_ bytes of it are
  // written; frames_ lists the frames not yet completely written.
  std::string out_;
  size_t out_off_ = 0;
  size_t frame_start_ = 0;  // start of frames_.front() in out_
  std::deque<Frame> frames_;
  uint64_t send_pos_ = 0;  // spool position of the next entry to format
  // Frames completely written on this connection and maybe not yet acked
  // by the peer's kernel (not for relp, whose records wait in the spool).
  std::deque<Unacked> unacked_;
  std::deque<std::string> resend_;  // unacked frames of the previous connection

  // RELP: transactions sent and not yet answered, oldest first.
  relp::Reader reader_;
  uint32_t txnr_ = 1;
  std::deque<Txn> txns_;
};

}  // namespace steward::log
