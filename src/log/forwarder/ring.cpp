// The byte-bounded ring of a service's recent records (ring.hpp).
#include "steward/log/forwarder/ring.hpp"

#include <string.h>

#include <algorithm>

#include "steward/log/sinks/format.hpp"

namespace steward::log {

namespace {

constexpr uint32_t kRingsMagic = 0x53545248;  // "STRH"
constexpr uint32_t kMaxTailStates = 1024;

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}
void PutString(std::string* out, std::string_view s) {
  Put(out, uint32_t(s.size()));
  out->append(s);
}

// Reads fixed-size values and length-prefixed strings; every read is
// checked against the end.
struct Reader {
  std::string_view in;
  template <typename T>
  bool Get(T* v) {
    if (in.size() < sizeof *v) return false;
    memcpy(v, in.data(), sizeof *v);
    in.remove_prefix(sizeof *v);
    return true;
  }
  bool GetString(std::string_view* s) {
    uint32_t n;
    if (!Get(&n) || in.size() < n) return false;
    *s = in.substr(0, n);
    in.remove_prefix(n);
    return true;
  }
};

}  // namespace

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

// Layout: magic u32, ring count u32; per ring: name, next_seq u64, entry
// count u32, per entry: time i64, stream u8, line; then tail count u32, per
// tail: service, follow u8, closing u8, next u64, end u64, out. Strings are
// u32 length + bytes; host byte order (the same binary reads it).
std::string SaveRings(const Rings& rings, const std::vector<TailState>& tails) {
  std::string out;
  Put(&out, kRingsMagic);
  Put(&out, uint32_t(rings.size()));
  for (const auto& [name, ring] : rings) {
    PutString(&out, name);
    Put(&out, ring->next_seq());
    Put(&out, uint32_t(ring->size()));
    for (uint64_t seq = ring->first_seq(); seq < ring->next_seq(); ++seq) {
      const RingEntry* e = ring->At(seq);
      Put(&out, e->time_us);
      Put(&out, uint8_t(e->stream));
      PutString(&out, e->line);
    }
  }
  Put(&out, uint32_t(tails.size()));
  for (const TailState& t : tails) {
    PutString(&out, t.service);
    Put(&out, uint8_t(t.follow));
    Put(&out, uint8_t(t.closing));
    Put(&out, t.next);
    Put(&out, t.end);
    PutString(&out, t.out);
  }
  return out;
}

bool LoadRings(std::string_view data, size_t max_bytes, Rings* rings, std::vector<TailState>* tails) {
  Reader r{data};
  uint32_t magic, count;
  if (!r.Get(&magic) || magic != kRingsMagic || !r.Get(&count)) return false;
  Rings got;
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name;
    uint64_t next;
    uint32_t entries;
    // Each entry takes at least 13 bytes: a count beyond that is junk.
    if (!r.GetString(&name) || !r.Get(&next) || !r.Get(&entries) || entries > next ||
        entries > r.in.size() / 13 || got.count(std::string(name))) {
      return false;
    }
    auto ring = std::make_unique<LogRing>(max_bytes);
    ring->StartAt(next - entries);
    for (uint32_t k = 0; k < entries; ++k) {
      int64_t time;
      uint8_t stream;
      std::string_view line;
      if (!r.Get(&time) || !r.Get(&stream) || stream > uint8_t(Stream::kSyslog) || !r.GetString(&line)) {
        return false;
      }
      ring->Append(time, Stream(stream), line);
    }
    got.emplace(std::string(name), std::move(ring));
  }
  std::vector<TailState> states;
  if (!r.Get(&count) || count > kMaxTailStates) return false;
  for (uint32_t i = 0; i < count; ++i) {
    TailState t;
    std::string_view service, out;
    uint8_t follow, closing;
    if (!r.GetString(&service) || !r.Get(&follow) || !r.Get(&closing) || follow > 1 ||
        closing > 1 || !r.Get(&t.next) || !r.Get(&t.end) || !r.GetString(&out) ||
        !got.count(std::string(service))) {
      return false;
    }
    t.service = service;
    t.follow = follow;
    t.closing = closing;
    t.out = out;
    states.push_back(std::move(t));
  }
  if (!r.in.empty()) return false;
  *rings = std::move(got);
  *tails = std::move(states);
  return true;
}

}  // namespace steward::log
