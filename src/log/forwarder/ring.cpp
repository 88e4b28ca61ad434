// The byte-bounded ring of a service's recent records (ring.hpp).
#include "steward/log/forwarder/ring.hpp"

#include <string.h>

#include <algorithm>

#include "steward/log/sinks/format.hpp"

namespace steward::log {

void LogRing::Append(int64_t time_us, Stream stream, std::string_view line) {
  size_t room = max_bytes_ > sizeof(RingEntry) ? max_bytes_ - sizeof(RingEntry) : 0;
  room = std::min<size_t>(room, UINT32_MAX);
  if (line.size() > room) line = line.substr(0, room);
  ++next_seq_;
  bytes_ += Cost(line.size());
  Trim();
  if (bytes_ > max_bytes_) {  // a budget smaller than one entry keeps nothing
    bytes_ -= Cost(line.size());
    return;
  }
  if (!data_) {
    cap_ = std::max<size_t>(max_bytes_, 1);
    data_.reset(new char[cap_]);
  }
  // line.size() <= room < cap_: it always fits once older lines are gone.
  uint64_t at = pos_;
  size_t offset = size_t(at % cap_);
  if (cap_ - offset < line.size()) at += cap_ - offset;  // start again at the beginning
  while (!slots_.empty() && at + line.size() - slots_.front().at > cap_) PopFront();
  memcpy(data_.get() + at % cap_, line.data(), line.size());
  slots_.push_back(Slot{time_us, at, uint32_t(line.size()), stream});
  pos_ = at + line.size();
}

const RingEntry* LogRing::At(uint64_t seq) const {
  if (seq < first_seq() || seq >= next_seq_) return nullptr;
  const Slot& s = slots_[size_t(seq - first_seq())];
  shown_ = RingEntry{s.time_us, s.stream, std::string_view(data_.get() + s.at % cap_, s.len)};
  return &shown_;
}

// A new budget: the newest lines that fit are packed into a buffer of the
// new size.
void LogRing::set_max_bytes(size_t max_bytes) {
  max_bytes_ = max_bytes;
  Trim();
  if (!data_ || cap_ == std::max<size_t>(max_bytes_, 1)) return;
  size_t cap = std::max<size_t>(max_bytes_, 1);
  std::unique_ptr<char[]> data(new char[cap]);
  uint64_t at = 0;
  for (Slot& s : slots_) {
    // live lines cost more than their bytes, so they fit the new buffer
    memcpy(data.get() + at, data_.get() + s.at % cap_, s.len);
    s.at = at;
    at += s.len;
  }
  data_ = std::move(data);
  cap_ = cap;
  pos_ = at;
}

void LogRing::PopFront() {
  bytes_ -= Cost(slots_.front().len);
  slots_.pop_front();
}

void LogRing::Trim() {
  while (bytes_ > max_bytes_ && !slots_.empty()) PopFront();
}

void AppendRingLine(const RingEntry& e, std::string* out) {
  AppendRfc3339(e.time_us, out);
  out->push_back(' ');
  out->append(StreamName(e.stream));
  out->push_back(' ');
  out->append(e.line);
  out->push_back('\n');
}

}  // namespace steward::log
