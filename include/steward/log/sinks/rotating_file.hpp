// One log file of a file sink (SPEC §5 "file"): appends whole lines and
// rotates PATH -> PATH.1 -> ... -> PATH.keep when the next line would take
// the file past rotate_size.
//
// Never splits a line. The file and its missing parents are opened only
// through safe_path.hpp (OpenSafely, make_parents), so a service that owns
// the log directory cannot make root steward follow a link, open a FIFO,
// socket or device (which could block), or append to a hard link of a file
// it does not own; rotations are renameat/unlinkat relative to the
// directory that walk opened, and the new PATH is opened beside them
// (OpenBeside).
//
// Two kinds of trouble (sink_error.hpp), both reported once with the path
// and the fix and shown by problem() until they clear:
//   - transient (no space, permission, a read-only filesystem, a missing
//     or non-directory parent): the unwritten bytes stay pending here, the
//     bytes of later Append()s join them without a new attempt, and only
//     Retry() (the sink's back-off timer) tries again. DropOldest() bounds
//     the pending bytes; the owner decides when.
//   - permanent (a name the filesystem refuses; a path steward refuses: a
//     symbolic link, a FIFO/socket/device, a hard link in a directory
//     others can write): the pending lines and those of later Append()s are
//     given up and counted for TakeRejected() until Retry() finds the path
//     fixed.
// When the file can be written again that is reported too. A rotation
// happens only between lines, never in the middle of a partly written one.
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
  // nothing is pending afterwards (written, or given up for a permanent
  // error); false while in transient trouble.
  bool Append(std::string_view lines);
  // Tries again (open, then what is pending). Returns true when the file
  // is healthy again and nothing is pending.
  bool Retry();
  // Gives up the oldest whole pending lines until at most keep_bytes are
  // pending (a first line already partly in the file is kept: it is never
  // left half-written). Returns the number of lines given up.
  uint64_t DropOldest(size_t keep_bytes);

  // Lines given up for a permanent error since the last call, and why.
  // False when none.
  bool TakeRejected(uint64_t* lines, SinkRejection* why);

  bool pending() const { return !pending_.empty(); }
  size_t pending_bytes() const { return pending_.size(); }
  uint64_t pending_lines() const;
  // In trouble (transient or permanent) since the last success: Retry() is due.
  bool troubled() const { return state_ != State::kOk; }
  // "cannot open PATH: Permission denied" while troubled, else "".
  const std::string& problem() const { return problem_; }
  // What the operator should do about the current problem.
  const char* fix() const;
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

 private:
  enum class State { kOk, kFailing, kRefused };
  bool Open();
  void Rotate();
  bool WritePending();
  // False: transient, the bytes stay pending. True: permanent, they are gone.
  bool Fail(const std::string& what, int err, const std::string& reason);
  void Recovered();
  void RejectPending();

  std::string label_;
  std::string path_;
  uint64_t rotate_size_;
  int keep_;
  Reporter reporter_;
  UniqueFd fd_;           // invalid until opened, and after a failed open
  UniqueFd dir_;          // PATH's directory as the walk opened it (O_PATH)
  std::string name_;      // PATH's last component, relative to dir_
  bool dir_trusted_ = false;
  bool reopen_beside_ = false;  // after a rotation: open name_ in dir_
  uint64_t size_ = 0;     // bytes in the current file
  std::string pending_;   // whole lines, except that the first may be the rest of a half-written one
  bool mid_line_ = false; // pending_ starts in the middle of a line already partly in the file
  State state_ = State::kOk;
  int err_ = 0;           // errno of the current trouble
  std::string problem_;
  uint64_t rejected_ = 0; // lines given up since TakeRejected()
  SinkRejection why_;     // the cause of the last of them
};

}  // namespace steward::log
