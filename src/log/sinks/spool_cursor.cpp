// The senders' shared view of a network sink's spool (see sender.hpp).
#include "steward/log/sinks/sender.hpp"
#include "steward/util/diag.hpp"

namespace steward::log {

SpoolCursor::Read SpoolCursor::Peek(Record* r, uint64_t* after) {
  if (next_ < spool_->head()) next_ = spool_->head();  // dropped meanwhile
  if (next_ >= spool_->tail()) return Read::kEnd;
  if (!spool_->Read(next_, &entry_, after) || !DecodeRecord(entry_, r)) {
    Error("{}: spool is corrupt; dropping its content", name_);
    spool_->Clear();
    next_ = spool_->head();
    return Read::kCorrupt;
  }
  return Read::kEntry;
}

void SpoolCursor::AckedUpTo(uint64_t acked) {
  while (!kept_.empty() && kept_.front().mark <= acked) kept_.pop_front();
}

void SpoolCursor::Lost() {
  for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) resend_.push_front(std::move(it->frame));
  kept_.clear();
}

std::string SpoolCursor::TakeResend() {
  std::string frame = std::move(resend_.front());
  resend_.pop_front();
  return frame;
}

uint64_t SpoolCursor::Undelivered() const {
  uint64_t n = kept_.size() + resend_.size();
  std::string entry;
  for (uint64_t pos = spool_->head(), next; pos < spool_->tail() && spool_->Read(pos, &entry, &next); pos = next) ++n;
  return n;
}

}  // namespace steward::log
