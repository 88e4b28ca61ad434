// The console sink: steward's stdout, as `docker logs` sees it (SPEC §5).
//
// Blocks by default, as Docker's default log mode does: when stdout is full
// the batch stays outstanding, the forwarder stops reading the pipes routed
// here and the services block on write. With log.console_overflow =
// "drop-oldest" it never blocks: up to kQueueLimit bytes wait in memory and
// the oldest whole records beyond that are dropped and counted.
//
// Owns a descriptor of its own for stdout: a fresh open of the same pipe or
// terminal when possible, so O_NONBLOCK does not leak to the processes that
// share steward's stdout; otherwise a dup written in blocking mode.
//
// steward's own lines (Record::own) go to stderr as they are, in every
// console mode, in their place among the services' lines; while stdout is
// full they go at once rather than wait behind it.
#pragma once

#include <deque>
#include <string>
#include <utility>

#include "steward/config/config.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"
#include "steward/log/sinks/sink.hpp"

namespace steward::log {

class ConsoleSink : public Sink {
 public:
  static constexpr size_t kQueueLimit = 1 << 20;

  ConsoleSink(struct ev_loop* loop, int index, const LogConfig& cfg, int stdout_fd, Ready ready);
  ~ConsoleSink() override;

  void SetWidth(size_t width) { width_ = width; }
  void Add(const Record& r, std::string_view display) override;
  bool Flush() override;
  bool Idle() const override { return pending_.empty() && own_.empty(); }
  uint64_t dropped() const override { return dropped_; }

 private:
  void OnWritable();
  bool WriteSome();  // true when nothing is pending any more
  void DropOldest();

  struct ev_loop* loop_;
  LogConfig::Console mode_;
  bool drop_oldest_;
  UniqueFd fd_;
  IoWatcher io_;  // stdout writable again
  size_t width_ = 0;
  std::string pending_;        // formatted bytes not yet written
  // steward's own lines (Record::own), for stderr once pending_ has been
  // written up to where each came: by offset into pending_.
  std::deque<std::pair<size_t, std::string>> own_;
  std::deque<size_t> sizes_;   // drop-oldest: size of each record in pending_
  size_t head_written_ = 0;    // drop-oldest: bytes of the first record already written
  uint64_t dropped_ = 0;
  bool broken_ = false;        // stdout closed for good (EPIPE): discard
};

}  // namespace steward::log
