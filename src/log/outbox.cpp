// The queue of messages waiting for a full SOCK_SEQPACKET socket.
#include "steward/log/outbox.hpp"

namespace steward::log {

void Outbox::Send(Message m) {
  if (queue_.empty()) {
    int rc = SendMessage(io_->fd(), m);
    if (rc != 0) return;  // sent, or the peer is gone
  }
  queue_.push_back(std::move(m));
  io_->Set(io_->fd(), EV_READ | EV_WRITE, false);
}

void Outbox::Flush() {
  while (!queue_.empty()) {
    int rc = SendMessage(io_->fd(), queue_.front());
    if (rc == 0) return;  // still full: EV_WRITE stays on
    if (rc < 0) {
      queue_.clear();
      break;
    }
    queue_.pop_front();
  }
  io_->Set(io_->fd(), EV_READ, false);
}

}  // namespace steward::log
