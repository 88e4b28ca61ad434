// The byte-bounded ring of a service's recent records (ring.hpp).
#include "steward/log/forwarder/ring.hpp"

#include "steward/log/sinks/format.hpp"

namespace steward::log {

void LogRing::Append(int64_t time_us, Stream stream, std::string_view line) {
  size_t room = max_bytes_ > sizeof(RingEntry) ? max_bytes_ - sizeof(RingEntry) : 0;
  if (line.size() > room) line = line.substr(0, room);
  bytes_ += Cost(line.size());
  // Evict first and reuse the evicted line's buffer: a full ring, which is
  // the steady state of a busy service, then allocates nothing per line
  // (a malloc and a free per line were a quarter of the forwarder's CPU
  // behind a file sink).
  std::string text;
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    bytes_ -= Cost(entries_.front().line.size());
    text = std::move(entries_.front().line);
    entries_.pop_front();
  }
  text.assign(line);
  entries_.push_back(RingEntry{time_us, stream, std::move(text)});
  ++next_seq_;
  Trim();  // a budget smaller than one entry keeps nothing
}

const RingEntry* LogRing::At(uint64_t seq) const {
  if (seq < first_seq() || seq >= next_seq_) return nullptr;
  return &entries_[size_t(seq - first_seq())];
}

void LogRing::set_max_bytes(size_t max_bytes) {
  max_bytes_ = max_bytes;
  Trim();
}

void LogRing::Trim() {
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    bytes_ -= Cost(entries_.front().line.size());
    entries_.pop_front();
  }
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
