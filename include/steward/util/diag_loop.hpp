// PID 1's stderr while its event loop runs: steward's messages never block
// PID 1 (SPEC §1 "Trust"). Whoever holds steward's stderr may stop reading
// it (a FIFO nobody reads, a blocking log driver with a slow remote end); a
// blocking write would then stop the reaping, `ctl` and SIGTERM with it.
//
// While one LoopStderr lives, Emit() hands it each line: written at once
// when stderr takes it, else kept in a StderrQueue (64 KiB) that an ev_io
// watcher drains when stderr is writable; past the bound lines are dropped,
// counted and announced. Repeated messages are limited per cause
// (RepeatLimiter); a one-shot timer, armed only while something is held
// back, writes the summary, so an idle PID 1 still never wakes up.
//
// Before the loop and outside PID 1 (start-up errors, --check, the ctl
// client, the forwarder and every other forked child) Emit() keeps its
// blocking write: a LoopStderr serves only the process that made it.
// ProcessHost makes one for the life of its loop.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "steward/util/fd.hpp"
#include "steward/util/stderr_queue.hpp"
#include "steward/util/watcher.hpp"

namespace steward {

class LoopStderr {
 public:
  // Finds how to write fd 2 without blocking and takes over Emit().
  explicit LoopStderr(struct ev_loop* loop, int fd = 2);
  // Gives Emit() back its blocking write, after one last write of what
  // waits that does not block (PID 1 is about to exit: it cannot wait).
  ~LoopStderr();
  LoopStderr(const LoopStderr&) = delete;
  LoopStderr& operator=(const LoopStderr&) = delete;

  // text: the message (the limiter's cause); line: as written. False in
  // a forked child, which writes for itself.
  bool Take(std::string_view text, std::string_view line);

  uint64_t dropped() const { return queue_.dropped(); }

 private:
  // How a write avoids blocking without touching the open file description
  // that steward shares with the services and the forwarder (O_NONBLOCK set
  // there would make their writes fail with EAGAIN):
  enum class Mode {
    kFile,  // a regular file or block device: a write never waits for a reader
    kSend,  // a socket: send(MSG_DONTWAIT), a per-call flag
    kOwn,   // a pipe, FIFO, terminal: our own description of it, reopened
            // through /proc/self/fd with O_NONBLOCK
    kPoll,  // reopening failed (no /proc): poll() for room, then at most
            // PIPE_BUF bytes, which a pipe with room takes without waiting.
            // Another writer can fill it between the two: a narrow window,
            // which the modes above do not have.
  };
  ssize_t Write(std::string_view bytes);
  void Push(std::string_view line);
  void OnWritable();
  void OnTimer();

  struct ev_loop* loop_;
  int fd_;
  Mode mode_ = Mode::kFile;
  UniqueFd own_;  // kOwn's description
  pid_t pid_;     // the process it serves; forked children write directly
  StderrQueue queue_;
  RepeatLimiter limiter_;
  IoWatcher io_;
  TimerWatcher timer_;
};

// Emit()'s target (diag.cpp); nullptr gives it back its blocking write.
void SetLoopStderr(LoopStderr* s);

}  // namespace steward
