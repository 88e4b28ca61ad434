// Messages for a SOCK_SEQPACKET peer that may be full, in order: sent at
// once when the socket takes them, else queued and sent when it is
// writable. The one copy of this pattern, for both ends (LogHub, Forwarder).
#pragma once

#include <deque>

#include "steward/log/protocol.hpp"
#include "steward/util/watcher.hpp"

namespace steward::log {

class Outbox {
 public:
  // io watches the socket for EV_READ; the outbox adds EV_WRITE while
  // messages wait, and never starts a watcher that was stopped.
  explicit Outbox(IoWatcher* io) : io_(io) {}

  // Descriptors are borrowed: they must stay open until sent. A peer that
  // is gone (EPIPE) drops the queue: its successor gets the whole state.
  void Send(Message m);
  // On EV_WRITE.
  void Flush();
  void Clear() { queue_.clear(); }
  bool empty() const { return queue_.empty(); }

 private:
  IoWatcher* io_;
  std::deque<Message> queue_;
};

}  // namespace steward::log
