// A network sink's connection as one LinkState x LinkEvent table and its
// cells (see link.hpp; SPEC §5 "Network sinks").
#include "steward/log/sinks/link.hpp"

#include <ev.h>
#include <string.h>

#include "steward/util/diag.hpp"

namespace steward::log {

const char* LinkStateName(LinkState s) {
  static const char* const kNames[] = {"waiting",     "resolving", "connecting",
                                       "handshaking", "opening",   "connected"};
  return kNames[int(s)];
}

const char* LinkEventName(LinkEvent e) {
  static const char* const kNames[] = {"start",  "timer",  "resolved", "up",     "ready",
                                       "handshook", "opened", "send",  "failed", "lost"};
  return kNames[int(e)];
}

// Every state x event pair, "nothing" written out (the state stays).
// Columns: Start, Timer, Resolved, Up, Ready, Handshook, Opened, Send, Failed, Lost.
using L = Link;
using St = LinkState;
#define NOTHING(s) {St::s, &L::Nothing}
const Link::Cell Link::kTable[kLinkStateCount][kLinkEventCount] = {
    // waiting: no socket; the start and the end of the back-off connect
    // (the name is resolved again at each attempt: a collector may move).
    /* waiting */ {{St::kResolving, &L::Resolve}, {St::kResolving, &L::Resolve}, NOTHING(kWaiting),
                   NOTHING(kWaiting), NOTHING(kWaiting), NOTHING(kWaiting), NOTHING(kWaiting),
                   NOTHING(kWaiting), NOTHING(kWaiting), NOTHING(kWaiting)},
    // resolving: the lookup's answer connects, or fails the attempt.
    /* resolving */ {NOTHING(kResolving), NOTHING(kResolving), {St::kConnecting, &L::ConnectTo},
                     NOTHING(kResolving), NOTHING(kResolving), NOTHING(kResolving),
                     NOTHING(kResolving), NOTHING(kResolving), {St::kWaiting, &L::ConnectFailed},
                     NOTHING(kResolving)},
    // connecting: a non-blocking connect; writable means done (SO_ERROR says how).
    /* connecting */ {NOTHING(kConnecting), NOTHING(kConnecting), NOTHING(kConnecting),
                      {St::kHandshaking, &L::BeginSession}, {St::kConnecting, &L::CheckConnect},
                      NOTHING(kConnecting), NOTHING(kConnecting), NOTHING(kConnecting),
                      {St::kWaiting, &L::ConnectFailed}, NOTHING(kConnecting)},
    // handshaking: the transport's opening (TLS), within kOpenTimeout.
    /* handshaking */ {NOTHING(kHandshaking), {St::kHandshaking, &L::HandshakeTimedOut},
                       NOTHING(kHandshaking), NOTHING(kHandshaking),
                       {St::kHandshaking, &L::Handshake}, {St::kOpening, &L::Open},
                       NOTHING(kHandshaking), NOTHING(kHandshaking),
                       {St::kWaiting, &L::ConnectFailed}, NOTHING(kHandshaking)},
    // opening: the protocol's opening (RELP's open and its answer), within
    // what is left of kOpenTimeout; its frame is written as the socket takes it.
    /* opening */ {NOTHING(kOpening), {St::kOpening, &L::OpenTimedOut}, NOTHING(kOpening),
                   NOTHING(kOpening), {St::kOpening, &L::Exchange}, NOTHING(kOpening),
                   {St::kConnected, &L::Connected}, {St::kOpening, &L::Send},
                   {St::kWaiting, &L::ConnectFailed}, {St::kWaiting, &L::Disconnect}},
    // connected: the spool drains; the timer retries a spool that could
    // not be written; a broken connection waits out the back-off.
    /* connected */ {NOTHING(kConnected), {St::kConnected, &L::Send}, NOTHING(kConnected),
                     NOTHING(kConnected), {St::kConnected, &L::Exchange}, NOTHING(kConnected),
                     NOTHING(kConnected), {St::kConnected, &L::Send}, NOTHING(kConnected),
                     {St::kWaiting, &L::Disconnect}},
};
#undef NOTHING

void Link::Dispatch(LinkInput in) {
  queue_.push_back(std::move(in));
  if (dispatching_) return;
  dispatching_ = true;
  while (!queue_.empty()) {
    LinkInput next = std::move(queue_.front());
    queue_.pop_front();
    Run(next);
  }
  dispatching_ = false;
}

void Link::Run(const LinkInput& in) {
  // Loaded into a local first (GCC 12's UBSan and arrays of pointers to members).
  Cell cell = kTable[int(state_)][int(in.event)];
  // Changes only: a debug line per batch would itself be a record to send.
  if (cell.next != state_) {
    Debug("{}: {} -> {} on {}", name_, LinkStateName(state_), LinkStateName(cell.next),
          LinkEventName(in.event));
  }
  state_ = cell.next;
  (this->*cell.action)(in);
}

void Link::Follow(const Sender::Step& s, LinkEvent done_event) {
  host_->Watch(sender_->interest());
  switch (s.kind) {
    case Sender::Step::Kind::kPending: break;
    case Sender::Step::Kind::kDone: Raise(done_event); break;
    case Sender::Step::Kind::kFailed: Raise(LinkEvent::kFailed, s.why); break;
    case Sender::Step::Kind::kLost: Raise(LinkEvent::kLost, s.why); break;
  }
}

void Link::Resolve(const LinkInput&) { host_->Resolve(); }

void Link::ConnectTo(const LinkInput& in) {
  bool in_progress = false;
  std::string err;
  if (!host_->Connect(in.text, &in_progress, &err)) return Raise(LinkEvent::kFailed, err);
  if (!in_progress) return Raise(LinkEvent::kUp);
  host_->Watch(EV_WRITE);
}

void Link::CheckConnect(const LinkInput&) {
  int err = host_->SocketError();
  if (err != 0) return Raise(LinkEvent::kFailed, strerror(err));
  Raise(LinkEvent::kUp);
}

// The socket is connected: the transport's handshake first (TLS), then the
// protocol's opening.
void Link::BeginSession(const LinkInput&) {
  std::string err;
  sender_ = host_->NewSender(&err);
  if (!sender_) return Raise(LinkEvent::kFailed, err);
  host_->StartTimer(kOpenTimeout);
  Handshake({});
}

void Link::Handshake(const LinkInput&) { Follow(sender_->Handshake(), LinkEvent::kHandshook); }

void Link::Open(const LinkInput&) { Follow(sender_->Open(), LinkEvent::kOpened); }

void Link::Connected(const LinkInput&) {
  host_->StopTimer();  // the opening's timeout
  if (outage_reported_) {
    outage_reported_ = false;
    Info("{}: connected to {}", name_, url_);
  }
  SetProblem("");
  // relp: only once a record is answered (ResetBackoff), so that a
  // collector that accepts the session but drops it at some record is not
  // retried hot.
  if (!sender_->answers()) backoff_.Reset();
  cursor_->Rewind();
  Send({});
}

// The socket is ready: the collector's answers (or its close), then more
// records while it takes them.
void Link::Exchange(const LinkInput& in) {
  if (in.revents & EV_READ) {
    Sender::Step s = sender_->Receive();
    Follow(s, LinkEvent::kOpened);
    if (s.kind != Sender::Step::Kind::kPending) return;
  }
  if (in.revents & EV_WRITE) Send({});
}

void Link::Send(const LinkInput&) { Follow(sender_->Send(), LinkEvent::kOpened); }

void Link::HandshakeTimedOut(const LinkInput&) {
  Raise(LinkEvent::kFailed, tls_ ? "TLS: no handshake from the collector within 10 s"
                                 : "no answer from the collector within 10 s");
}

void Link::OpenTimedOut(const LinkInput&) {
  Raise(LinkEvent::kFailed, "RELP: no answer to open within 10 s (is it an imrelp port?)");
}

// One message per outage, and another when it turns into a TLS or RELP
// failure, which the user must act on (the collector came up, but its
// certificate does not verify).
void Link::ConnectFailed(const LinkInput& in) {
  const std::string& why = in.text;
  bool protocol = why.compare(0, 5, "TLS: ") == 0 || why.compare(0, 6, "RELP: ") == 0;
  if (!outage_reported_ || (protocol && why != problem_)) {
    outage_reported_ = true;
    if (protocol) {
      Warning("{}: {} (connecting to {}); retrying with back-off, records wait in the spool",
              name_, why, url_);
    } else {
      Warning("{}: cannot connect to {}: {}; retrying with back-off, records wait in the spool",
              name_, url_, why);
    }
  }
  SetProblem(why);
  Reconnect();
}

void Link::Disconnect(const LinkInput& in) {
  if (!outage_reported_) {
    outage_reported_ = true;
    Warning("{}: connection to {} lost: {}; reconnecting, records wait in the spool", name_, url_,
            in.text);
  }
  SetProblem(in.text);
  // What the peer may not have received goes first on the next connection;
  // what was only partly written is still in the spool. (relp: everything
  // unanswered is still in the spool.)
  cursor_->Lost();
  Reconnect();
}

// The socket is gone: wait out the next back-off delay, then connect again.
void Link::Reconnect() {
  sender_.reset();
  host_->Close();
  host_->StartTimer(backoff_.Next());
}

// PID 1 keeps the last problem it was told across forwarder restarts, so
// the first state of a new forwarder is always sent.
void Link::SetProblem(const std::string& why) {
  if (why == problem_ && problem_told_) return;
  problem_told_ = true;
  problem_ = why;
  host_->ProblemChanged();
}

}  // namespace steward::log
