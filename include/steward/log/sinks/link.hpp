// A network sink's connection as one LinkState x LinkEvent table (SPEC §5:
// back-off, outages, TLS and RELP openings), the log side's counterpart of
// PID 1's stop table. Each cell names the next state and one action; an
// action talks to the LinkHost (DNS, the socket, the timer) and to the
// connection's Sender (sender.hpp), and never changes the state itself:
// what it learns (resolved, connected, failed, lost) it raises as the next
// event, handled once the current one is done.
//
//   waiting --start/timer--> resolving --resolved--> connecting --up-->
//   handshaking --handshook--> opening --opened--> connected
//   (failed: back to waiting with back-off, one outage message;
//    lost: the same from opening or connected, kept frames resent first)
//
// A datagram socket and a protocol without an opening go through every
// state in one turn: their Sender's steps are done at once.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "steward/config/parse.hpp"
#include "steward/log/sinks/endpoint.hpp"
#include "steward/log/sinks/sender.hpp"

namespace steward::log {

enum class LinkState { kWaiting, kResolving, kConnecting, kHandshaking, kOpening, kConnected };
enum class LinkEvent {
  kStart,      // the sink starts
  kTimer,      // the link's timer: back-off over, opening timed out, spool retry
  kResolved,   // text: the collector's address ("" for a unix socket)
  kUp,         // the socket is connected
  kReady,      // the socket is ready (revents)
  kHandshook,  // the transport's handshake is done
  kOpened,     // the protocol's opening is done
  kSend,       // records wait in the spool
  kFailed,     // text: why connecting failed
  kLost,       // text: why a connection broke
};
constexpr int kLinkStateCount = 6;
constexpr int kLinkEventCount = 10;
const char* LinkStateName(LinkState s);
const char* LinkEventName(LinkEvent e);

struct LinkInput {
  LinkEvent event;
  std::string text;
  int revents = 0;
};

// The I/O under a link, the network sink's part.
class LinkHost {
 public:
  virtual ~LinkHost() = default;
  // Raises kResolved or kFailed, from the loop.
  virtual void Resolve() = 0;
  // Starts connecting to address: false with *err when it failed at once,
  // *in_progress when the socket's writability will tell.
  virtual bool Connect(const std::string& address, bool* in_progress, std::string* err) = 0;
  // The result of a connect in progress (SO_ERROR): 0 or an errno.
  virtual int SocketError() = 0;
  // The sender for the connected socket; null with *err ("TLS: cannot read ...").
  virtual std::unique_ptr<Sender> NewSender(std::string* err) = 0;
  // Closes the socket (and stops watching it).
  virtual void Close() = 0;
  virtual void Watch(int events) = 0;
  virtual void StartTimer(Duration after) = 0;
  virtual void StopTimer() = 0;
  // problem() changed.
  virtual void ProblemChanged() = 0;
};

class Link {
 public:
  // A collector that accepts the connection but never finishes the TLS
  // handshake or never answers RELP's open is an outage too.
  static constexpr Duration kOpenTimeout = Duration(10000);

  // name and url for the messages; tls for the handshake's timeout.
  Link(LinkHost* host, SpoolCursor* cursor, std::string name, std::string url, bool tls)
      : host_(host), cursor_(cursor), name_(std::move(name)), url_(std::move(url)), tls_(tls) {}

  // Handles in, then every event its actions raised, in order. Called
  // while handling (from a callback), it only queues in.
  void Dispatch(LinkInput in);
  bool dispatching() const { return dispatching_; }

  LinkState state() const { return state_; }
  Sender* sender() const { return sender_.get(); }
  // Why the sink cannot deliver right now, "" while it can.
  const std::string& problem() const { return problem_; }
  // The collector answered a record (Sender::answers()).
  void ResetBackoff() { backoff_.Reset(); }

  // For the table's test: puts the link in state s with sender; runs the
  // one cell of in, and returns the events it raised (not handled).
  void SetForTest(LinkState s, std::unique_ptr<Sender> sender) {
    state_ = s;
    sender_ = std::move(sender);
  }
  std::deque<LinkInput> CellForTest(const LinkInput& in) {
    Run(in);
    return std::move(queue_);
  }

  using Action = void (Link::*)(const LinkInput&);
  struct Cell {
    LinkState next;
    Action action;
  };

 private:
  static const Cell kTable[kLinkStateCount][kLinkEventCount];

  void Run(const LinkInput& in);
  void Raise(LinkEvent e, std::string text = {}) { queue_.push_back({e, std::move(text), 0}); }
  // Raises the event a sender's step calls for (kDone: done_event).
  void Follow(const Sender::Step& s, LinkEvent done_event);

  // The cells' actions.
  void Nothing(const LinkInput&) {}
  void Resolve(const LinkInput&);
  void ConnectTo(const LinkInput& in);
  void CheckConnect(const LinkInput&);
  void BeginSession(const LinkInput&);
  void Handshake(const LinkInput&);
  void Open(const LinkInput&);
  void Connected(const LinkInput&);
  void Exchange(const LinkInput& in);
  void Send(const LinkInput&);
  void HandshakeTimedOut(const LinkInput&);
  void OpenTimedOut(const LinkInput&);
  void ConnectFailed(const LinkInput& in);
  void Disconnect(const LinkInput& in);

  void Reconnect();
  void SetProblem(const std::string& why);

  LinkHost* host_;
  SpoolCursor* cursor_;
  std::string name_, url_;
  bool tls_;
  LinkState state_ = LinkState::kWaiting;
  std::unique_ptr<Sender> sender_;  // from kUp until the connection ends
  std::deque<LinkInput> queue_;
  bool dispatching_ = false;
  Backoff backoff_;
  bool outage_reported_ = false;
  std::string problem_;
  bool problem_told_ = false;  // ProblemChanged() called at least once
};

}  // namespace steward::log
