// The supervisor: PID 1's event loop. It owns the services, takes every
// signal and every child exit as events from libev (signalfd underneath;
// one ev_child on pid 0 reaps all), starts services as their dependencies
// become ready, and runs the stop sequence of SPEC §4.
//
// Wrapper mode (SPEC §2) is the same machine with one service, `main`, made
// from PROGRAM, and every signal forwarded to it instead of starting the
// stop sequence.
//
// Ownership: the Supervisor owns every Service, probe, watcher and timer;
// it reaps every process, including ones it never started (orphans).
#pragma once

#include <ev.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/log/hub.hpp"
#include "steward/pid1/probes.hpp"
#include "steward/pid1/service.hpp"
#include "steward/pid1/signals.hpp"

namespace steward {

struct SupervisorSettings {
  Duration shutdown_timeout = Duration(9000);
  Duration grace = Duration(2000);
  KillMode kill_mode = KillMode::kGroup;
  std::vector<int> remap_exit;
  bool log_orphans = false;
  bool wrapper_mode = false;  // no configuration: behave as tini, no log pipeline
  std::string runtime_dir;    // "" when there is none
  bool stdout_is_terminal = false;  // PROGRAM then writes to it directly (SPEC §3)
};

class ControlServer;

// One service as `steward ctl status` shows it.
struct ServiceStatus {
  std::string name;
  State state = State::kStopped;
  pid_t pid = 0;                    // 0 when not running
  Clock::duration uptime{};         // since the current run started; 0 when not running
  int restarts = 0;
  bool ready = false;               // ready (longrun) or completed with 0 (oneshot)
  Health health = Health::kNone;
  bool has_exited = false;          // last_status is valid
  int last_status = 0;              // wait status of the last run
  std::string blocked_by;           // the failed dependency, when blocked
  bool main = false;
  ServiceType type = ServiceType::kLongrun;
};

// What a control request reports when it is done: an exit status for
// `steward ctl` and the text to print.
using ControlDone = std::function<void(int exit_code, const std::string& text)>;

class Supervisor : public ServiceHost, public HelperRunner {
 public:
  Supervisor(struct ev_loop* loop, SupervisorSettings settings, Config config,
             const InheritedSignals* signals);
  ~Supervisor() override;

  // Starts the enabled services and runs until the stop sequence is over.
  // Returns steward's exit status (SPEC §1 table).
  int Run();

  // ---- control (SPEC §6), for the control socket ----
  // Enabled services in name order.
  std::vector<ServiceStatus> Status() const;
  // Records dropped by a log sink so far; 0 without a log pipeline.
  uint64_t Dropped(const std::string& sink) const;
  std::string SinkProblem(const std::string& sink) const;
  const Config& config() const { return config_; }
  // Unknown names are refused with exit 2 and nothing done. start brings up
  // the services and their dependencies, in order; stop brings down the
  // services and everything that depends on them, in reverse order; restart
  // is stop then start of that same set. done() runs once every service
  // concerned has settled (or at once with wait = false); exit 1 when one of
  // them failed or is blocked.
  void ControlStart(const std::vector<std::string>& names, bool wait, ControlDone done);
  void ControlStop(const std::vector<std::string>& names, bool wait, ControlDone done);
  void ControlRestart(const std::vector<std::string>& names, bool wait, ControlDone done);
  // Sends sig to each running service (its group in group mode).
  void ControlSignal(int sig, const std::vector<std::string>& names, ControlDone done);
  // Starts the stop sequence; steward exits with exit_code when given.
  void ControlShutdown(std::optional<int> exit_code);
  // Exit 0 when every enabled service is up, ready and healthy (oneshots:
  // completed with 0), else exit 1 naming the ones that are not.
  void ControlHealth(ControlDone done) const;

  // ServiceHost
  pid_t Launch(Service& s, int* failed_exit_code) override;
  void Kill(pid_t pid, bool group, int sig) override;
  bool RunStopCommand(Service& s) override;
  bool GroupAlive(pid_t pgid) override;
  void SetTimer(Service& s, Clock::duration after) override;
  void CancelTimer(Service& s) override;
  Clock::time_point Now() override;
  void StateChanged(Service& s, State old_state) override;

  // HelperRunner
  pid_t RunHelper(SpawnRequest req, std::function<void(int status)> on_exit) override;
  void CancelHelper(pid_t pid) override;

 private:
  struct Slot;
  // kDraining: SPEC §4 step 5, the log forwarder empties every pipe.
  enum class Phase { kRunning, kStopping, kLeftovers, kDraining, kDone };

  static void OnSignal(struct ev_loop*, ev_signal* w, int);
  static void OnChild(struct ev_loop*, ev_child* w, int);
  static void OnServiceTimer(struct ev_loop*, ev_timer* w, int);
  static void OnDeadline(struct ev_loop*, ev_timer* w, int);
  static void OnGrace(struct ev_loop*, ev_timer* w, int);

  void HandleSignal(int sig);
  void HandleExit(pid_t pid, int status);
  void Settle();
  bool SettleOne(Slot& slot);
  void BeginShutdown(std::optional<int> exit_code, const std::string& why);
  void KillEverything();
  void CheckStopDone();
  void BeginLeftovers();
  void Finish();
  void Exit();
  void OnMainGone(Service& s);
  void LogTransition(const Slot& slot, State old);

  // A control request waiting for its services to settle.
  struct PendingOp {
    bool start;                 // start (settled: up, or failed) / stop (settled: down)
    std::vector<Slot*> targets;
    ControlDone done;
    std::vector<Slot*> then_start;  // restart: the set to start once stopped
  };
  bool ResolveNames(const std::vector<std::string>& names, std::vector<Slot*>* out,
                    ControlDone* done);
  std::vector<Slot*> WithDependencies(const std::vector<Slot*>& slots, bool dependents) const;
  void StartSet(const std::vector<Slot*>& set, bool wait, ControlDone done);
  void StopSet(const std::vector<Slot*>& set, bool wait, ControlDone done,
               std::vector<Slot*> then_start);
  void CheckPending();
  SpawnRequest BuildRequest(const Service& s, bool* ok);
  bool AttachLogs(const Service& s, SpawnRequest* req);
  pid_t ForwarderPid() const;
  Slot* Find(const std::string& name);
  Slot* MainSlot();
  Slot* SlotOf(const Service& s);

  struct ev_loop* loop_;
  SupervisorSettings settings_;
  Config config_;
  const InheritedSignals* signals_;
  std::unique_ptr<log::LogHub> logs_;  // null in wrapper mode
  std::unique_ptr<ControlServer> control_;  // null without a runtime directory
  std::vector<std::unique_ptr<Slot>> slots_;  // in config order (by name)
  std::map<pid_t, Slot*> by_pid_;             // service main processes
  std::map<pid_t, std::function<void(int)>> helpers_;  // checks, stop commands
  std::vector<PendingOp> pending_;
  std::vector<std::unique_ptr<ev_signal>> signal_watchers_;
  ev_child child_watcher_{};
  ev_timer deadline_{};  // --shutdown-timeout, while stopping
  Clock::time_point deadline_at_{};
  ev_timer grace_{};     // --grace, for leftovers
  Phase phase_ = Phase::kRunning;
  bool dirty_ = false;    // a state changed: Settle() again
  bool settling_ = false;
  bool killed_ = false;   // graceful waits skipped (second signal, deadline)
  int exit_code_ = 0;
  bool exit_code_set_ = false;
};

}  // namespace steward
