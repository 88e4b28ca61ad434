// One log file of a file sink (SPEC §5 "file"): appends whole lines and
// rotates PATH -> PATH.1 -> ... -> PATH.keep when the next line would take
// the file past rotate_size.
//
// Never loses and never splits a line. A write that fails with a transient
// error (sink_error.hpp: disk full, permission, missing directory) leaves
// the unwritten bytes pending here; the error is reported once, through the
// reporter, with the path and the fix, and the next Append() or Retry()
// tries again. When the file can be written again that is reported too. A
// permanent error (the name is too long or invalid) can never clear: the
// pending lines are given up and counted for TakeRejected(), so the sink
// goes on instead of waiting for good. A rotation happens only between
// lines, never in the middle of a partly written one.
//
// Owns its descriptor (opened O_APPEND | O_CLOEXEC, reopened after each
// rotation). Creates missing parent directories.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "steward/log/sinks/sink_error.hpp"
#include "steward/util/fd.hpp"

namespace steward::log {

class RotatingFile {
 public:
  // Gets each message meant for steward's log: (is_error, text).
  using Reporter = std::function<void(bool error, const std::string& text)>;

  // keep = number of rotated files (PATH.1 ... PATH.keep); 0 keeps none.
  // rotate_size = 0 never rotates. label names the sink in messages.
  RotatingFile(std::string label, std::string path, uint64_t rotate_size, int keep,
               Reporter reporter);

  // lines: zero or more whole lines, each ending in '\n'. Returns true when
  // every byte, earlier pending ones included, is written.
  bool Append(std::string_view lines);
  // Writes what is pending. Returns true when nothing is left.
  bool Retry();

  // Lines given up for a permanent error since the last call, and why.
  // False when none.
  bool TakeRejected(uint64_t* lines, SinkRejection* why);

  bool pending() const { return !pending_.empty(); }
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

 private:
  bool Open();
  void Rotate();
  bool WritePending();
  // False: transient, the bytes stay pending. True: permanent, they are gone.
  bool Fail(const std::string& what, int err);

  std::string label_;
  std::string path_;
  uint64_t rotate_size_;
  int keep_;
  Reporter reporter_;
  UniqueFd fd_;           // invalid until opened, and after a failed open
  uint64_t size_ = 0;     // bytes in the current file
  std::string pending_;   // whole lines, except that the first may be the rest of a half-written one
  bool mid_line_ = false; // pending_ starts in the middle of a line already partly in the file
  bool failing_ = false;  // an error was reported and not yet the recovery
  uint64_t rejected_ = 0; // lines given up since TakeRejected()
  SinkRejection why_;     // the cause of the last of them
};

}  // namespace steward::log
