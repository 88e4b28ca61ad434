// The forwarder's insides, shared by forwarder.cpp (lifecycle, control
// socket, drops, drain) and forwarder_sources.cpp (pipes, /dev/log and the
// commit point). Private to src/log: the public face is forwarder.hpp.
#pragma once

#include <ev.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/util/fd.hpp"
#include "steward/log/sinks/console_sink.hpp"
#include "steward/log/journal.hpp"
#include "steward/log/forwarder/line_splitter.hpp"
#include "steward/log/sinks/net_sink.hpp"
#include "steward/log/outbox.hpp"
#include "steward/log/protocol.hpp"
#include "steward/log/record.hpp"
#include "steward/log/forwarder/ring.hpp"
#include "steward/log/forwarder/tail.hpp"
#include "steward/log/sinks/sink.hpp"

namespace steward::log::forwarder {

constexpr size_t kSpliceChunk = 256 << 10;  // bytes per pipe per turn of the loop
constexpr int kMaxSinks = 64;               // sink sets are 64-bit masks
constexpr size_t kMaxDatagram = 256 << 10;
constexpr int kDatagramBurst = 64;          // per turn, so pipes are not starved
constexpr size_t kMaxTails = 16;            // `ctl logs` clients served at once
constexpr size_t kMaxTagRings = 16;         // syslog tags with a `ctl logs` ring of their own

class Forwarder;

struct Service;

// Something records come from: one pipe (with its journal) or /dev/log.
struct Source {
  enum class Kind { kPipe, kSyslog };
  Source(Forwarder* f, Kind k, size_t max_line) : fw(f), kind(k), splitter(max_line) {}

  Forwarder* fw;
  Kind kind;
  Service* svc = nullptr;  // kPipe
  Stream stream = Stream::kStdout;
  UniqueFd fd;
  Journal journal;
  LineSplitter splitter;
  uint64_t fed = 0;         // journal offset fed to the splitter so far
  uint64_t target = 0;      // journal cursor once this turn's records are safe
  IoWatcher io;             // OnReadable(); inactive until opened
  TimerWatcher partial;     // OnPartial(): log.partial_flush of silence
  bool eof = false;
  uint64_t routes = 0;      // sinks it can feed (blocked while one is outstanding)
  uint64_t added = 0;       // sinks fed this turn
  uint64_t waiting = 0;     // outstanding sinks holding its records
  bool dirty = false;       // fed something this turn
  bool commit_pending = false;
  bool datagram_peeked = false;  // kSyslog: a delivered datagram still on the socket

  void OnReadable();
  void OnPartial();
};

struct Service {
  uint32_t id = 0;
  std::string name;
  std::string display;  // console prefix
  bool console = true;
  bool has_sinks = false;
  std::vector<std::string> sinks;
  uint64_t mask = 0;
  pid_t pid = 0;
  bool detaching = false;
  bool own = false;  // steward's own lines (AttachMsg::own)
  LogRing* ring = nullptr;  // its recent records (owned by Forwarder::rings_); null: log.ring = 0
  std::unique_ptr<Source> out, err;
};

// The forwarder process's one object (see forwarder.hpp for the design):
// owns the sinks, the sources and every descriptor PID 1 handed over.
class Forwarder {
 public:
  Forwarder(struct ev_loop* loop, const LogConfig& cfg, std::string runtime_dir, int control_fd);
  ~Forwarder();
  int exit_status() const { return exit_status_; }

 private:
  // Setup.
  void MakeSinks();
  uint64_t RouteMask(const std::string& name, bool console, bool has_sinks,
                     const std::vector<std::string>& only) const;
  void OpenSpools();
  void UpdateWidth();

  friend struct Source;  // its watchers call back into OnPipe() and friends

  // Control socket.
  void OnControl(int revents);
  void Handle(Message& m, std::vector<UniqueFd>& fds);
  void Attach(const AttachMsg& m, std::vector<UniqueFd>& fds);
  void SetPid(uint32_t id, pid_t pid);
  void Send(Message m);
  void StartAll();

  // Pipes.
  void InitPipe(Source* s, Service* svc, Stream stream, UniqueFd pipe, UniqueFd journal);
  void OnPipe(Source* s);
  void OnPartial(Source* s);
  bool ReadPipe(Source* s);
  void FeedNew(Source* s);
  void AfterFeed(Source* s);
  void EmitLine(Source* s, std::string_view line, bool partial);

  // steward's own lines (forwarder_own.cpp): PID 1's pipe, and this
  // process's own warnings, queued by the diag.hpp hook.
  void CatchUp();
  void EmitOwn(Source* s, std::string_view line);
  static bool QueueOwn(void* self, std::string_view line);
  void EmitQueuedOwn();
  void OnOwnWakeup() {}  // the turn itself emits them (OnPrepare)

  // `ctl logs`.
  LogRing* RingFor(const std::string& service);
  LogRing* TagRing(const std::string& tag);
  void Remember(LogRing* ring, const Record& r);
  void Tail(const TailMsg& m, UniqueFd client);
  void ServeTails();

  // /dev/log.
  void ReadDatagrams();
  void Deliver(std::string_view datagram);

  // The commit point.
  void Dispatch(Source* s, const Record& r, std::string_view display, uint64_t mask);
  void OnPrepare();
  void CommitRound();
  void Commit(Source* s);
  void OnSinkReady(Sink* sink);
  uint64_t OutstandingMask() const;
  bool Blocked(const Source* s) const;
  void Kick();
  void ForEachSource(const std::function<void(Source*)>& f);
  void FinishDetaches();

  // Reload (forwarder_handover.cpp).
  void StartHandover(const HandoverMsg& m);
  void OnHandoverTimer();
  void CheckHandedOver();
  void FinishHandover(bool in_time);
  void LeaveTails();
  void TakeRings(UniqueFd memfd);
  void TakeTails(std::vector<UniqueFd>& fds);

  // Drops and drain.
  void CheckDrops();
  void OnAnnounce();
  void StartDrain(Duration left);
  void OnDrainTimer();
  void CheckDrained();
  void TellWhatStaysInSpools();

  struct ev_loop* loop_;
  LogConfig cfg_;
  std::string runtime_dir_;
  UniqueFd control_;
  IoWatcher control_io_;
  Outbox outbox_{&control_io_};
  PrepareWatcher prepare_;  // OnPrepare(): the commit point, once per loop turn
  TimerWatcher announce_, drain_deadline_, drain_poll_;
  TimerWatcher handover_deadline_, handover_poll_;
  TimerWatcher own_wakeup_;  // a queued own line: one more turn, not the next event

  std::vector<std::unique_ptr<Sink>> sinks_;  // by index; null when misconfigured
  ConsoleSink* console_ = nullptr;
  std::vector<NetSink*> net_sinks_;
  std::map<std::string, UniqueFd> spool_fds_;  // memfds from PID 1, by sink name
  std::set<std::string> spool_files_;          // sinks whose spool is RUNTIME_DIR/log/NAME.spool
  std::vector<uint64_t> announced_;            // drops already announced, by sink

  std::map<uint32_t, std::unique_ptr<Service>> services_;
  std::unique_ptr<Source> syslog_;
  std::map<std::string, uint64_t> tag_routes_;  // syslog tags that are not services
  // Recent records by service name, for `ctl logs`: kept across restarts of
  // a service (and its detach), bounded by log.ring each; names come from
  // PID 1's configuration, and from at most kMaxTagRings syslog tags.
  std::map<std::string, std::unique_ptr<LogRing>> rings_;
  std::vector<std::unique_ptr<LogTail>> tails_;
  bool rings_grew_ = false;  // since the tails were last told

  uint64_t dirty_sinks_ = 0;
  std::vector<Source*> dirty_sources_;
  Record rec_;          // reused for every record
  std::string buf_;     // reused for journal reads and datagrams
  int64_t now_ = 0;
  size_t expected_width_ = 0;  // from PID 1: the longest name of all services
  bool started_ = false;
  bool draining_ = false;
  // Reload: reading stopped, finishing what was read (kHandover).
  bool handing_over_ = false;
  bool handed_over_ = false;       // FinishHandover() ran: exiting
  bool drain_syslog_ = false;      // ... except the old /dev/log, until it is empty
  std::vector<std::string> kept_;  // network sinks the next forwarder keeps
  std::vector<TailState> resumed_;  // from kRings, until their sockets come (kTails)
  size_t resumed_next_ = 0;
  std::vector<UniqueFd> leaving_;  // our followers' sockets, on their way to PID 1
  int exit_status_ = 0;
  std::vector<std::string> own_queue_;  // this process's own lines, for the next turn
  bool emitting_own_ = false;           // lines said meanwhile go to stderr only
};

}  // namespace steward::log::forwarder
