// The journal of one pipe: how the forwarder can be SIGKILLed at any moment
// without losing a line (docs/LOGGING.md).
//
// The forwarder never read()s a service's pipe. It splice()s the bytes
// straight from the pipe into the journal, a memfd that PID 1 created and
// holds; splice moves them in the kernel, so every byte is always either
// still in the pipe or already in the journal. Records are then cut from the
// journal, and the cursor (the first byte not yet delivered to every sink)
// is stored in the journal's header once the sinks have taken them. A new
// forwarder resumes from the stored cursor: lines between the cursor and a
// crash are delivered again, none is lost.
//
// Layout: a header page (magic, cursor), then the data. Offsets are logical
// and only grow (a memfd can be 2^63 bytes); pages wholly before the cursor
// are punched out so the memory stays small.
//
// Owns its descriptor (a dup of PID 1's).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "steward/util/fd.hpp"

namespace steward::log {

class Journal {
 public:
  static constexpr uint64_t kDataStart = 4096;

  Journal() = default;
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // PID 1's side: a new, empty journal (memfd, close-on-exec).
  static UniqueFd Create(const std::string& name, std::string* err);

  // The forwarder's side: takes over fd and reads the cursor and the end.
  bool Open(UniqueFd fd, std::string* err);

  // Moves up to max bytes from the pipe to the end of the journal. Returns
  // the count, 0 at end of file (every writer closed), -1 with errno
  // (EAGAIN: the pipe is empty).
  ssize_t SpliceFrom(int pipe_fd, size_t max);

  // Reads [from, end()) into *out (replacing it).
  bool Read(uint64_t from, std::string* out) const;

  // The bytes [from, end()) without copying them out of the memfd: a view
  // into a read-only mapping, valid until the next View() or Open(). Falls
  // back to Read() into *scratch when the memfd cannot be mapped.
  bool View(uint64_t from, std::string* scratch, std::string_view* out);

  // Stores the new cursor: everything before it is delivered.
  void Commit(uint64_t cursor);

  uint64_t cursor() const { return cursor_; }
  uint64_t end() const { return end_; }

 private:
  UniqueFd fd_;
  uint64_t cursor_ = kDataStart;
  uint64_t end_ = kDataStart;
  uint64_t punched_ = kDataStart;  // everything before this is a hole
  bool use_splice_ = true;         // false after the kernel refused splice
  // A window of the memfd mapped read-only; [map_from_, map_from_ +
  // map_len_) in journal offsets. Pages punched out of the memfd leave the
  // mapping too, so it holds no more memory than the journal itself.
  void Unmap();
  char* map_ = nullptr;
  uint64_t map_from_ = 0;
  size_t map_len_ = 0;
  bool use_map_ = true;  // false after mmap failed
};

}  // namespace steward::log
