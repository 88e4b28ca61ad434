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
// The connection is a Link (link.hpp): one state x event table; the
// protocol is the connection's Sender (sender.hpp: stream, relp or
// datagram), reading the spool through one SpoolCursor.
//
// Owns the socket, the spool descriptor and the TLS configuration.
#pragma once

#include <memory>

#include "steward/config/config.hpp"
#include "steward/util/dns.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"
#include "steward/log/sinks/endpoint.hpp"
#include "steward/log/sinks/link.hpp"
#include "steward/log/sinks/sender.hpp"
#include "steward/log/sinks/sink.hpp"
#include "steward/log/sinks/spool.hpp"
#include "steward/log/sinks/tls.hpp"

namespace steward::log {

class NetSink : public Sink, private LinkHost, private SenderEvents {
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
  uint64_t Undelivered() const { return cursor_.Undelivered(); }
  // Spool overflow and oversized datagrams; records the collector refused
  // are rejected() (Sink::Reject).
  uint64_t dropped() const override { return spool_.dropped() + cursor_.unsendable(); }

  // Why the sink cannot deliver right now ("TLS: certificate has expired"),
  // "" while it can. on_problem is called whenever it changes.
  const std::string& problem() const { return link_.problem(); }
  std::function<void()> on_problem;
  // Called when the collector refused a record (relp), which happens
  // between the forwarder's rounds: the forwarder then announces it.
  std::function<void()> on_rejected;

  // One record as this sink sends it, framing included (for tests). For
  // relp, the message that goes in the `syslog` command.
  void Format(const Record& r, std::string* out) const;

 private:
  // LinkHost
  void Resolve() override;
  bool Connect(const std::string& address, bool* in_progress, std::string* err) override;
  int SocketError() override;
  std::unique_ptr<Sender> NewSender(std::string* err) override;
  void Close() override;
  void Watch(int events) override;
  void StartTimer(Duration after) override { timer_.Start(after); }
  void StopTimer() override { timer_.Stop(); }
  void ProblemChanged() override {
    if (on_problem) on_problem();
  }
  // SenderEvents
  void Acknowledged() override { link_.ResetBackoff(); }
  void Refused(int code, const std::string& text) override;

  // Hands in to the link, then retries an outstanding batch.
  void Handle(LinkInput in);
  void OnIo(int revents) { Handle({LinkEvent::kReady, {}, revents}); }
  void OnTimer() { Handle({LinkEvent::kTimer, {}, 0}); }
  void RetryBatch();

  SinkConfig cfg_;
  Endpoint ep_;
  std::string hostname_;
  Spool spool_;
  SpoolCursor cursor_;
  std::string batch_;  // framed spool entries added since the last Flush
  UniqueFd sock_;
  bool stream_ = true;  // false for udp and unix datagram sockets
  bool relp_ = false;
  std::unique_ptr<TlsContext> tls_;  // tls:// only
  IoWatcher io_;                     // the socket
  TimerWatcher timer_;               // back-off, opening timeout, spool retry
  DnsLookup dns_;
  bool spool_error_reported_ = false;
  Link link_;  // last: its sender borrows the socket and the cursor
};

}  // namespace steward::log
