// One `steward ctl logs NAME [-n N] [-f]` connection, served by the forwarder.
//
// PID 1 accepts the control connection, checks the peer and the request,
// and hands the socket to the forwarder, which owns the recent lines: so no
// log byte ever passes through PID 1. A LogTail writes the control
// response's exit-code line, then the last N records of the service's ring
// as `TIME STREAM line`, then (with -f) every new record until the client
// goes away. Everything is non-blocking and bounded: at most kMaxPending
// bytes wait for a slow client; a follower whose next record has been
// evicted from the ring (it fell a whole ring behind) gets one line saying
// so and is disconnected, so no client can slow a service or grow the
// forwarder.
//
// Ownership: the tail owns the socket and its watcher; the ring belongs to
// the forwarder and must outlive the tail. A finished tail (done()) has
// closed its socket; its owner destroys it at the next turn of the loop.
#pragma once

#include <string>

#include "steward/log/forwarder/ring.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"

namespace steward::log {

class LogTail {
 public:
  static constexpr size_t kMaxPending = 256 << 10;

  LogTail(struct ev_loop* loop, UniqueFd client, const LogRing* ring, size_t last_n, bool follow);
  // A client a forwarder handed over at a reload (Release()), resumed at
  // the same record of the same ring (which kept its numbers, ring.hpp).
  LogTail(struct ev_loop* loop, UniqueFd client, const LogRing* ring, const TailState& state);
  LogTail(const LogTail&) = delete;
  LogTail& operator=(const LogTail&) = delete;

  // The ring has new records.
  void Notify();
  // Ends the tail with a last line (e.g. steward is stopping); "" for none.
  void Close(std::string_view why);
  bool done() const { return done_; }
  const LogRing* ring() const { return ring_; }
  // Reload: where the client stands, and its socket, for the next
  // forwarder; this tail is done afterwards. state->service is the caller's.
  UniqueFd Release(TailState* state);

 private:
  void OnIo(int revents);
  void Fill();
  void Flush();
  void Finish();
  void Arm(int events);

  UniqueFd fd_;
  const LogRing* ring_;
  bool follow_;
  uint64_t next_ = 0;  // the next record to send
  uint64_t end_ = 0;   // without -f: the first record not to send
  std::string out_;    // bytes not written yet
  bool closing_ = false;
  bool done_ = false;
  IoWatcher io_;
};

}  // namespace steward::log
