// A sink's bounded queue of records, kept in a file (SPEC §5: `buffer`, in
// the runtime directory, so it survives a forwarder restart) or in a memfd
// that PID 1 holds when the runtime directory is not writable.
//
// A ring of entries (u32 length + bytes) behind a small header holding
// head, tail and the drop count. Positions are logical byte counts that only
// grow; the byte of position p lives at kHeaderSize + p % capacity. Every
// change is written to the descriptor before the call returns, in an order
// that leaves a consistent ring if the process is killed at any point: data
// first, then the header that makes it visible; when dropping, the header
// that forgets the dropped entries first, then the data that overwrites
// them.
//
// Owns the descriptor. Not thread-safe; the forwarder is single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "steward/util/fd.hpp"

namespace steward::log {

class Spool {
 public:
  static constexpr uint64_t kHeaderSize = 4096;
  static constexpr uint64_t kMinCapacity = 4096;

  enum class Push { kOk, kFull, kError };

  // Takes over fd. Entries already in it are kept when its header is valid
  // and has the same capacity; otherwise it starts empty (and *note says
  // why, when there was something to lose). False with *err on I/O error.
  bool Open(UniqueFd fd, uint64_t capacity, std::string* note, std::string* err);

  // Appends one entry. With drop_oldest, makes room by dropping the oldest
  // entries (counted in dropped()); without, returns kFull when there is no
  // room. An entry bigger than the whole ring is dropped (and counted) in
  // either mode, since waiting could never make room for it.
  Push Append(std::string_view entry, bool drop_oldest);

  // Appends entries already framed as the ring stores them (u32 length in
  // host order, then the bytes), with one data write and one header write
  // per run of entries that fits. Returns how many bytes of framed were
  // consumed (whole entries); with drop_oldest that is all of it unless an
  // I/O error occurs, without it the rest did not fit (*result kFull).
  size_t AppendFramed(std::string_view framed, bool drop_oldest, Push* result);

  // Appends one entry to a framed batch for AppendFramed().
  static void Frame(std::string_view entry, std::string* framed);

  // Reads the entry at position pos (head() <= pos < tail()) into *entry and
  // sets *next to the position after it. False if pos is not readable (it
  // was dropped meanwhile) or the bytes there are corrupt.
  bool Read(uint64_t pos, std::string* entry, uint64_t* next) const;

  // Forgets every entry before pos (an entry boundary from Read()).
  bool PopTo(uint64_t pos);

  // Empties the ring (after corruption).
  void Clear();

  uint64_t head() const { return head_; }
  uint64_t tail() const { return tail_; }
  bool empty() const { return head_ == tail_; }
  uint64_t used() const { return tail_ - head_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t dropped() const { return dropped_; }
  const std::string& error() const { return error_; }

 private:
  bool WriteHeader();
  bool ReadAt(uint64_t pos, void* buf, size_t n) const;
  bool WriteAt(uint64_t pos, const void* buf, size_t n);
  bool DropHead();

  UniqueFd fd_;
  uint64_t capacity_ = 0;
  uint64_t head_ = 0;     // position of the oldest entry
  uint64_t tail_ = 0;     // position after the newest entry
  uint64_t dropped_ = 0;  // entries dropped since the spool was created
  std::string error_;     // the last I/O error, for the caller's message
};

}  // namespace steward::log
