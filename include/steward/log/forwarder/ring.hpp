// The recent lines of one service, for `steward ctl logs` (SPEC §6).
//
// A LogRing keeps the newest records of one service within a byte budget
// (`log.ring`, default 1 MiB), independent of the sinks: it is filled at
// the commit point whatever the routing, so `ctl logs` works with
// `console = "off"`. Each record gets a sequence number; a follower keeps
// the number of the next record it wants and learns it fell behind when
// that record has been evicted. Plain data: no I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "steward/log/record.hpp"

namespace steward::log {

// One record as At() shows it: the line is a view into the ring.
struct RingEntry {
  int64_t time_us = 0;
  Stream stream = Stream::kStdout;
  std::string_view line;
};

class LogRing {
 public:
  explicit LogRing(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Adds a record, evicting the oldest until the ring fits its budget. A
  // line longer than the whole budget is kept cut to it.
  void Append(int64_t time_us, Stream stream, std::string_view line);

  uint64_t first_seq() const { return next_seq_ - slots_.size(); }
  uint64_t next_seq() const { return next_seq_; }  // of the record not yet appended
  // The record numbered seq; nullptr when evicted or not appended yet. The
  // entry (and its line) stays valid until the next call of any method.
  const RingEntry* At(uint64_t seq) const;
  // The sequence number where the last n records begin.
  uint64_t LastN(size_t n) const { return n >= slots_.size() ? first_seq() : next_seq_ - n; }

  size_t bytes() const { return bytes_; }
  size_t size() const { return slots_.size(); }
  void set_max_bytes(size_t max_bytes);
  // An empty ring whose next record is numbered seq: a ring handed over at
  // a reload keeps its numbers, so its followers keep their place.
  void StartAt(uint64_t seq) {
    if (slots_.empty()) next_seq_ = seq;
  }

  // What one entry costs against the budget: its bytes plus the bookkeeping,
  // so a flood of empty lines is bounded too.
  static size_t Cost(size_t line_bytes) { return line_bytes + sizeof(RingEntry); }

 private:
  // The lines live in one circular buffer of max_bytes_ (allocated on the
  // first line; pages are touched only as it fills), each contiguous: a
  // busy service's lines are copied once, with no allocation per line.
  // Positions are logical and only grow; a line that would cross the end
  // of the buffer starts again at its beginning.
  struct Slot {
    int64_t time_us;
    uint64_t at;  // logical position of the line's first byte
    uint32_t len;
    Stream stream;
  };
  void Trim();
  void PopFront();

  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t next_seq_ = 0;
  std::deque<Slot> slots_;
  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;    // size of data_
  uint64_t pos_ = 0;  // logical position of the next byte
  mutable RingEntry shown_;
};

// Where a `ctl logs` client stood when its forwarder handed over (reload):
// the next forwarder resumes it from the same record of the same ring.
struct TailState {
  std::string service;
  bool follow = false;
  bool closing = false;
  uint64_t next = 0, end = 0;  // as in LogTail
  std::string out;             // bytes not written yet
};
using Rings = std::map<std::string, std::unique_ptr<LogRing>>;

// The rings and tails as bytes, for a memfd (kRings) from one forwarder to
// the next. Only the two forwarders read it, but LoadRings() checks every
// length: false (and nothing half-loaded kept) for bytes that do not parse.
// Rings are loaded with max_bytes each; the oldest entries beyond it go.
std::string SaveRings(const Rings& rings, const std::vector<TailState>& tails);
bool LoadRings(std::string_view data, size_t max_bytes, Rings* rings, std::vector<TailState>* tails);

// `TIME STREAM line` and a newline: what `ctl logs` prints.
void AppendRingLine(const RingEntry& e, std::string* out);

}  // namespace steward::log
