// What stands between PID 1's messages and a stderr nobody reads (SPEC §1
// "Trust"): a bounded queue of whole lines and a limiter of repeated
// messages. Both are plain logic, driven by diag_loop.hpp, which owns the
// descriptor and the watchers; the tests drive them with a fake writer and
// a fake clock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace steward {

// Lines waiting for stderr to become writable. A line is taken whole or
// dropped whole, never cut: what was partly written is finished first.
// Past the bound, lines are dropped and counted; once everything waiting has
// been written, one line says how many were lost.
class StderrQueue {
 public:
  static constexpr size_t kBound = 64 * 1024;
  // Writes a prefix of the bytes without blocking: the number taken, 0 when
  // stderr is full, -1 when it is gone for good (its reader closed it).
  using WriteFn = std::function<ssize_t(std::string_view)>;

  explicit StderrQueue(WriteFn write, size_t bound = kBound);

  // One whole line, '\n' included: written now when nothing waits and
  // stderr takes it, else queued, else (past the bound) dropped and counted.
  // True when bytes wait (the caller watches for writability).
  bool Push(std::string_view line);
  // Stderr became writable: writes what waits, then the count of what was
  // dropped. True while bytes still wait.
  bool Flush();

  bool waiting() const { return head_ < buf_.size(); }
  uint64_t dropped() const { return dropped_; }  // since the start

  // `steward: warning: N messages dropped: stderr was not being read`
  static std::string DropLine(uint64_t n);

 private:
  size_t Waiting() const { return buf_.size() - head_; }
  bool Write();  // writes from head_; false when stderr is gone

  WriteFn write_;
  size_t bound_;
  std::string buf_;
  size_t head_ = 0;              // bytes of buf_ already written
  uint64_t dropped_ = 0;
  uint64_t unannounced_ = 0;     // dropped since the last drop line
  bool gone_ = false;            // stderr is closed: everything is dropped
};

// At most `burst` messages of one cause per `window` seconds; the rest are
// counted, and when the window ends one line says how many were held back.
// The cause is the text with every run of digits read as one wildcard, so
// `web: exited with status 1 (pid 42)` and `... 2 (pid 43)` are one cause.
// No clock of its own: the caller passes the time, and asks NextDue() for
// the one deadline it must arm while something is held back (nothing then,
// so an idle PID 1 never wakes up for it).
class RepeatLimiter {
 public:
  struct Limits {
    size_t burst = 10;
    double window = 10.0;    // seconds
    size_t max_causes = 64;  // beyond: not limited (the table stays small)
  };
  RepeatLimiter() = default;
  explicit RepeatLimiter(Limits limits) : limits_(limits) {}

  static std::string CauseOf(std::string_view text);

  // False: hold this message back (counted).
  bool Allow(std::string_view text, double now);
  // The summaries of the windows that ended by `now`, e.g.
  // `held back 57 more messages like "web: exited with status 1" (more than 10 in 10s)`.
  std::vector<std::string> Expired(double now);
  // When the earliest window with held-back messages ends; 0 when none.
  double NextDue() const;

 private:
  struct Cause {
    std::string key;
    std::string example;  // the first text held back
    double start = 0;     // of its window
    size_t seen = 0;      // in this window
    uint64_t held = 0;    // held back in this window
  };
  std::string Summary(const Cause& c) const;

  Limits limits_;
  std::vector<Cause> causes_;
};

}  // namespace steward
