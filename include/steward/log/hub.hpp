// PID 1's side of logging (SPEC §5): small, no parsing, no network.
//
// The LogHub creates each service's stdout and stderr pipes and holds both
// ends for the life of the service, across its restarts, so that neither a
// restart nor a crash of the forwarder loses a line. Next to each pipe it
// holds the pipe's journal (a memfd, see journal.hpp). It binds /dev/log,
// starts the forwarder (`steward-log`: steward's own binary executed again,
// which learns its configuration over the control socket) and restarts it
// at once when it dies, handing every descriptor over again, at a reload
// hands it over to one with the new [log] (Reconfigure), and at shutdown
// asks it to drain. Its lifecycle is one Phase (below). hub.cpp: pipes,
// /dev/log, spools, messages; hub_forwarder.cpp: the forwarder process
// (start, restart, handover, drain) and the phase table.
//
// PID 1's ProcessHost owns the LogHub and is the only caller. The hub
// installs no child watcher: ProcessHost's reaper calls OnForwarderExit()
// for the forwarder's pid. Everything it does is non-blocking; errors after
// Start() are logged, never fatal (PID 1 must not die of its logging).
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/util/fd.hpp"
#include "steward/log/outbox.hpp"
#include "steward/log/protocol.hpp"

namespace steward::log {

// The forwarder's program: steward's own binary, executed again as
// `steward-log`. main() holds it open from the start (/proc/self/exe, or
// argv[0] as a shell finds it when there is no /proc), so that a forwarder
// can be started whatever later happens to /proc or to the binary's path (a
// config volume, an image layer update). When neither works, starting the
// forwarder fails with a message naming the problem and the fix.
void HoldOwnBinary(const char* argv0);
// The same with a given path (tests, whose own binary is not steward).
void HoldBinary(const std::string& path);

class LogHub {
 public:
  // runtime_dir: where spools go (RUNTIME_DIR/log/NAME.spool); "" when there
  // is no writable runtime directory: spools are then memfds held here.
  LogHub(struct ev_loop* loop, const LogConfig& cfg, std::string runtime_dir);
  ~LogHub();
  LogHub(const LogHub&) = delete;
  LogHub& operator=(const LogHub&) = delete;

  // Binds /dev/log (unless ""; an existing path is left alone with a
  // warning) and starts the forwarder. False with *err only when the
  // forwarder cannot be started at all (no socketpair, no fork).
  bool Start(std::string* err);

  // A reload changed [log] (SPEC §4 step 5): the forwarder hands over to one
  // started with cfg, without losing or repeating a line. The running one
  // stops reading, waits until every record it read is safe in every sink
  // (written to files and the console, in network spools, and delivered
  // where the collector is up; one that is down is not waited for, its
  // spool keeps the records), stores the journal cursors, leaves its
  // `ctl logs` rings and followers here, and exits 0 within kHandoverTime
  // (SIGKILLed a second later: the next one then repeats what was not
  // committed). The new one, forked at once with every descriptor, starts
  // at those cursors: a new sink gets records from the reload on, a
  // removed one has flushed and closed, a changed one reopens; global
  // settings (max_line, partial_flush, ring, console) apply from then on.
  // A changed syslog_socket is bound at once; the old one is unlinked and
  // emptied by the old forwarder. Spools of new network sinks are made,
  // the state of removed ones (drops, problem, memfd spool) forgotten.
  // Non-blocking; from the loop. Call Expect() with the new services too.
  void Reconfigure(const LogConfig& cfg);
  static constexpr std::chrono::milliseconds kHandoverTime{3000};
  bool handing_over() const { return phase_ == Phase::kHandingOver || phase_ == Phase::kHandingOverToDrain; }

  // The hub's lifecycle. forwarder_pid() says whether a forwarder process
  // runs; the phase says what the hub wants of it.
  enum class Phase {
    kIdle,               // Start() not called: nothing bound, no forwarder
    kStarting,           // no forwarder runs: the next is started at once or by the restart timer
    kRunning,            // a forwarder runs and takes every message
    kHandingOver,        // Reconfigure(): it hands over; the next starts when it exits
    kHandingOverToDrain, // Drain() during a handover: the next starts to drain
    kDraining,           // Drain(): a forwarder (restarted if it crashes) reads to the end and exits
    kDrainKilled,        // the drain's deadline passed: SIGKILLed, done() once it is reaped
    kDone,               // drained: done() called; nothing starts any more
  };
  enum class Event {
    kStart,        // Start()
    kForked,       // a forwarder process was started
    kStartFailed,  // it could not be
    kReconfigure,  // Reconfigure() while one runs
    kDrain,        // Drain()
    kExited,       // the forwarder was reaped (during a drain: exited, or past the deadline)
    kDied,         // during a drain, before the deadline: killed by a signal (restarted)
    kDeadline,     // the drain's deadline passed with a forwarder running
  };
  // The transition table (pure; unit-tested cell by cell). An event a phase
  // does not expect leaves it where it is.
  static Phase Next(Phase phase, Event event);
  Phase phase() const { return phase_; }

  // The pipes of one service, created on the first call and kept until
  // Detach(); later calls return the same ones (and update cfg). *out_w and
  // *err_w stay owned by the hub: dup2 them onto 1 and 2 in the child.
  bool Attach(const std::string& service, const ServiceLogConfig& cfg, int* out_w, int* err_w,
              std::string* err);

  // The services that will run (call at start and after each reload, before
  // their first Attach): the console pads names to the longest of them from
  // the first line on, as docker-compose does, instead of growing the
  // column as services start.
  void Expect(const std::vector<std::pair<std::string, ServiceLogConfig>>& services);

  // The pid records of the service carry (RFC 5424 PROCID). Call it when a
  // process starts, and with 0 when it has been reaped: the forwarder then
  // ends its last unterminated line rather than glue it to the next one.
  void SetPid(const std::string& service, pid_t pid);

  // The service is gone for good (removed from the configuration, and its
  // process reaped): the write ends are closed now; the read ends and the
  // journals once the forwarder has read the pipes to end of file.
  void Detach(const std::string& service);

  bool IsForwarder(pid_t pid) const { return pid > 0 && pid == forwarder_; }
  pid_t forwarder_pid() const { return forwarder_; }

  // From the supervisor's reaper. Restarts the forwarder at once (once a
  // second when it keeps dying within a second of its start, so a forwarder
  // that crashes on some input cannot spin). While draining, a forwarder
  // that died before finishing is restarted too, until the deadline.
  void OnForwarderExit(pid_t pid, int status);

  // SPEC §4 step 5, after every service is gone: closes the write ends,
  // asks the forwarder to read every pipe to end of file, deliver
  // everything and exit before deadline; done() is called once it has
  // exited (SIGKILLed at the deadline if need be, then reaped).
  void Drain(std::chrono::steady_clock::time_point deadline, std::function<void()> done);

  // For tests: the forwarder's stdout (the console) and stderr become these
  // descriptors instead of PID 1's. Call before Start().
  void RedirectForwarderStdio(int out_fd, int err_fd) {
    stdio_out_ = out_fd;
    stdio_err_ = err_fd;
  }

  // Records a sink has dropped so far (for `ctl status`); 0 when unknown.
  uint64_t Dropped(const std::string& sink) const;
  // Why a network sink cannot deliver now ("TLS: certificate has expired"),
  // "" when it can or it is not known.
  std::string Problem(const std::string& sink) const;
  // `ctl logs`: hands the client's connection to the forwarder, which
  // answers it from the service's ring (no log byte passes through PID 1).
  // A name that is not `configured` is answered only when the forwarder
  // keeps a ring for it (a syslog tag), else as an unknown service.
  void Tail(const std::string& service, bool configured, int lines, bool follow, UniqueFd client);

 private:
  struct Pipe {
    UniqueFd r, w, journal;
  };
  struct Entry {
    uint32_t id = 0;
    std::string name;
    ServiceLogConfig cfg;
    Pipe out, err;
    pid_t pid = 0;
  };

  void StartOwnLines();
  static bool WriteOwnLine(void* self, std::string_view line);
  void StopOwnLines();
  void BindSyslog();
  void MakeSpools();
  bool MakePipe(const std::string& name, Pipe* p, std::string* err);
  bool Fork(std::string* err);
  bool StartNext(std::string_view failure);
  void Finish();
  bool Draining() const;
  void SendConfig();
  void SendState();
  Message AttachMessage(const Entry& e, bool with_fds) const;
  void Send(Message m);
  void Forget(uint32_t id);
  void ScheduleRestart();
  void OnControl(int revents);
  void OnRestartTimer();
  void OnDrainTimer();
  void OnDoneTimer();
  void OnHandoverTimer();
  void Receive();

  struct ev_loop* loop_;
  LogConfig cfg_;
  std::string runtime_dir_;
  UniqueFd control_;  // our end of the socketpair with the current forwarder
  IoWatcher control_io_;
  TimerWatcher restart_timer_, drain_timer_, done_timer_, handover_timer_;
  Outbox outbox_{&control_io_};  // for the current forwarder; fds borrowed from below
  UniqueFd syslog_;             // the bound /dev/log socket
  std::string syslog_created_;  // its path, unlinked on destruction
  std::vector<std::pair<std::string, UniqueFd>> spools_;  // memfd spools, by sink name
  std::map<std::string, Entry> services_;
  // steward's own lines (diag.hpp): a pipe pair like a service's, whose
  // stdout PID 1 writes non-blocking; id 0 until it exists.
  Entry own_;
  std::map<uint32_t, Entry> detaching_;  // detached, until the forwarder read them to EOF
  std::map<std::string, uint64_t> dropped_;
  std::map<std::string, std::string> problems_;
  uint32_t next_id_ = 1;
  int stdio_out_ = -1, stdio_err_ = -1;  // RedirectForwarderStdio
  size_t width_ = 0;                      // Expect()
  pid_t forwarder_ = 0;  // 0 when none is running
  std::chrono::steady_clock::time_point started_at_;
  Phase phase_ = Phase::kIdle;
  // During a handover: what the current forwarder leaves for the next one
  // (descriptors only, never read here), and the `ctl logs` clients that
  // came meanwhile.
  UniqueFd carried_rings_;
  std::vector<UniqueFd> carried_tails_;
  struct PendingTail {
    std::string service;
    bool configured;
    int64_t lines;
    bool follow;
    UniqueFd client;
  };
  std::vector<PendingTail> pending_tails_;
  int quick_deaths_ = 0;  // consecutive exits within a second of the start
  std::chrono::steady_clock::time_point deadline_;
  std::function<void()> done_;
};

}  // namespace steward::log
