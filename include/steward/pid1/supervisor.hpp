// The supervisor: PID 1's policy. It owns the services, decides which may
// start (their dependencies are up) and which must stop (reverse order),
// runs the stop sequence of SPEC §4 as a Phase x StopEvent table, and
// answers the control verbs of SPEC §6.
//
// It touches no OS resource: everything it does to the world goes through
// a SupervisorHost (ProcessHost in steward, a fake in the unit tests), as a
// Service goes through its ServiceHost. Events come in through the On*()
// methods, which only record; the host calls Settle() once per loop turn
// (from an ev_prepare), which acts on everything recorded until nothing
// changes. No handler runs policy inside another.
//
// Wrapper mode (SPEC §2) is the same machine with one service, `main`, made
// from PROGRAM, and every signal forwarded to it instead of starting the
// stop sequence.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/config/config_diff.hpp"
#include "steward/pid1/probes.hpp"
#include "steward/pid1/service.hpp"

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

// One service as `steward ctl status` shows it.
struct ServiceStatus {
  std::string name;
  State state = State::kStopped;
  pid_t pid = 0;                    // 0 when not running
  Clock::duration uptime{};         // since the current run started; 0 when not running
  int restarts = 0;
  bool ready = false;               // ready (longrun) or completed with 0 (oneshot)
  Health health = Health::kNone;   // kNone (`-`) unless ready
  std::string health_check;         // the last check's output, while health is shown
  bool has_exited = false;          // last_status is valid
  int last_status = 0;              // wait status of the last run
  std::string blocked_by;           // the failed dependency, when blocked
  bool main = false;
  ServiceType type = ServiceType::kLongrun;
};

// What a control request reports when it is done: an exit status for
// `steward ctl` and the text to print.
using ControlDone = std::function<void(int exit_code, const std::string& text)>;

// The stop sequence's phases (SPEC §4 steps) and the events that move it.
enum class Phase {
  kRunning,    // services start and restart
  kStopping,   // step 1-3: services stop in reverse order, under the deadline
  kLeftovers,  // step 4: processes of no service get SIGTERM, then SIGKILL
  kDraining,   // step 5: the log forwarder empties every pipe
  kDone,       // the loop ends; steward exits
};
constexpr int kPhaseCount = 5;

enum class StopEvent {
  kTerm,      // SIGTERM or SIGINT (again, while stopping: skip the waits)
  kShutdown,  // SIGQUIT, ctl shutdown, on_failure = "shutdown", main blocked
  kMainGone,  // the main program exited or failed for good
  kAllDown,   // every service is down
  kDeadline,  // --shutdown-timeout ran out
  kReaped,    // a process was reaped: maybe no leftover is left
  kGrace,     // --grace ran out for the leftovers
  kDrained,   // the forwarder read every pipe to its end and exited
};
constexpr int kStopEventCount = 8;

const char* PhaseName(Phase p);
const char* StopEventName(StopEvent e);

// The last slice of the stop budget, kept for the log drain (SPEC §4 step
// 5): a second, or a quarter of a shorter shutdown_timeout.
Clock::duration DrainReserve(Duration shutdown_timeout);

// Everything the policy asks of the world (the OS side).
class SupervisorHost {
 public:
  virtual ~SupervisorHost() = default;
  // ---- for a Service (see ServiceHost) ----
  virtual pid_t Launch(Service& s, LaunchFailure* failure) = 0;
  virtual pid_t AdoptDaemon(Service& s) {  // see ServiceHost
    (void)s;
    return -1;
  }
  virtual void Kill(pid_t pid, bool group, int sig) = 0;
  virtual bool RunStopCommand(Service& s) = 0;
  virtual bool GroupAlive(pid_t pgid) = 0;
  virtual void SetTimer(Service& s, Clock::duration after) = 0;
  virtual void CancelTimer(Service& s) = 0;
  virtual Clock::time_point Now() = 0;
  // The service's main process was reaped (its log lines have no pid now).
  virtual void ProcessGone(Service& s) = 0;
  // Starts and ends the service's readiness and health probes as it moves.
  virtual void ServiceMoved(Service& s, State old_state) = 0;
  virtual Health HealthOf(const Service& s) const = 0;
  // The last health check's output, or why it failed (see HealthProbe).
  virtual std::string LastHealthCheck(const Service&) const { return ""; }
  // ---- for the stop sequence ----
  enum class Timer { kDeadline, kGrace };
  virtual void StartTimer(Timer t, Clock::duration after) = 0;
  virtual void StopTimer(Timer t) = 0;
  // Sends sig to every process below PID 1 but the log forwarder; returns
  // how many there were.
  virtual int SignalLeftovers(int sig) = 0;
  virtual bool LeftoversGone() = 0;
  // Step 5: the forwarder drains and exits by `deadline`; the host reports
  // StopEvent::kDrained when it is done (at once without a forwarder).
  virtual void DrainLogs(Clock::time_point deadline) = 0;
  // The stop sequence is over: leave the loop.
  virtual void Exit() = 0;
  // ---- for control ----
  virtual uint64_t Dropped(const std::string& sink) const = 0;
  virtual std::string SinkProblem(const std::string& sink) const = 0;
  // Hands a `ctl logs` client to the log forwarder; false when there is no
  // log pipeline (wrapper mode), the client untouched. `configured`: a
  // service of the configuration; else the name may be a syslog tag, which
  // only the forwarder knows.
  virtual bool TailLogs(const std::string& service, bool configured, int lines, bool follow,
                        UniqueFd* client) = 0;
  // ---- for reload (supervisor_reload.cpp) ----
  // Reads the configuration again as at start (the volume installed again
  // first) and the settings that follow from it; false with every error,
  // positioned, in *errors.
  virtual bool ReadConfig(Config* config, SupervisorSettings* settings,
                          std::vector<std::string>* errors) = 0;
  // A reload made a Service the host has not seen (its Proc, its probes).
  virtual void ServiceAdded(Service& s) = 0;
  // A reload removed a service that is now down: its log pipes go.
  virtual void ServiceRemoved(Service& s) = 0;
  // The configuration a reload applies, before any service moves: the log
  // pipeline (log_changed: [log] differs) and the volume watch follow it.
  virtual void ConfigApplied(const Config& config, bool log_changed) = 0;
};

class Supervisor : public ServiceHost {
 public:
  Supervisor(SupervisorSettings settings, Config config, SupervisorHost* host);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Wants every enabled service up (they start at the next Settle()).
  void Start();
  // Acts on everything recorded since the last call, until nothing changes:
  // starts what may start, stops what must stop, answers settled control
  // requests, moves the stop sequence. The host calls it once per loop turn.
  void Settle();
  bool dirty() const { return dirty_; }

  // ---- events (they only record; the next Settle() acts) ----
  void OnSignal(int sig);
  // A process was reaped (not the forwarder); helper: a check or stop
  // command, already handled by the host.
  void OnReaped(pid_t pid, int status, bool helper = false);
  void OnServiceTimer(Service& s);
  void OnServiceReady(Service& s);
  void OnServiceUnhealthy(Service& s);
  void OnStopEvent(StopEvent e);  // kDeadline, kGrace, kDrained from the host

  Phase phase() const { return phase_; }
  int exit_code() const { return exit_code_; }
  // The services, in configuration order (for the host's bookkeeping).
  std::vector<Service*> services();

  // ---- control (SPEC §6), for the control socket; see supervisor_control.cpp ----
  // Enabled services in name order.
  std::vector<ServiceStatus> Status() const;
  // Records dropped by a log sink so far; 0 without a log pipeline.
  uint64_t Dropped(const std::string& sink) const { return host_->Dropped(sink); }
  // Why a log sink cannot deliver now ("TLS: certificate has expired"); "" when it can.
  std::string SinkProblem(const std::string& sink) const { return host_->SinkProblem(sink); }
  // `ctl logs`: unknown names get exit 2; otherwise the client's connection
  // goes to the forwarder, which answers it (take() hands it over).
  void ControlLogs(const std::string& name, int lines, bool follow, ControlDone done,
                   const std::function<UniqueFd()>& take);
  const Config& config() const { return config_; }
  // Unknown names are refused with exit 2 and nothing done. start brings up
  // the services and their dependencies, in order; stop brings down the
  // services and everything that depends on them, in reverse order; restart
  // stops the services named (and their dependents with with_dependents)
  // and starts them again with whatever they need. done() runs once every
  // service concerned has settled (or at once with wait = false), with one
  // line per service touched ("stopped app", "restarted app"); exit 1 when
  // one of them failed or is blocked.
  void ControlStart(const std::vector<std::string>& names, bool wait, ControlDone done);
  void ControlStop(const std::vector<std::string>& names, bool wait, ControlDone done);
  void ControlRestart(const std::vector<std::string>& names, bool wait, bool with_dependents,
                      ControlDone done);
  // Sends sig to each running service (its group in group mode).
  void ControlSignal(int sig, const std::vector<std::string>& names, ControlDone done);
  // Starts the stop sequence; steward exits with exit_code when given.
  void ControlShutdown(std::optional<int> exit_code);
  // Exit 0 when every enabled service is up, ready and healthy (oneshots:
  // completed with 0), else exit 1 naming the ones that are not.
  void ControlHealth(ControlDone done) const;
  // SIGHUP and `ctl reload` (SPEC §4): the configuration is read again
  // through the host; refused (exit 1, every error) when invalid, otherwise
  // applied as a diff. done() runs once the diff is applied, with one line
  // per service touched ("started new", "stopped old", "restarted app") or
  // "no changes". Ignored with a warning while stopping.
  void ControlReload(ControlDone done);
  // Applies next, already read and valid, as a diff against the running
  // configuration (ControlReload's second half; the unit tests call it).
  void Reload(Config next, SupervisorSettings settings, ControlDone done);

  // ServiceHost: the OS parts go to the host; StateChanged only records.
  pid_t Launch(Service& s, LaunchFailure* failure) override;
  pid_t AdoptDaemon(Service& s) override;
  void Kill(pid_t pid, bool group, int sig) override { host_->Kill(pid, group, sig); }
  bool RunStopCommand(Service& s) override { return host_->RunStopCommand(s); }
  bool GroupAlive(pid_t pgid) override { return host_->GroupAlive(pgid); }
  void SetTimer(Service& s, Clock::duration after) override { host_->SetTimer(s, after); }
  void CancelTimer(Service& s) override { host_->CancelTimer(s); }
  Clock::time_point Now() override { return host_->Now(); }
  void StateChanged(Service& s, State old_state) override;

 private:
  struct Slot;

  void HandleSignal(int sig);
  void Moved(Slot& slot, State old_state, State new_state);
  void SettleOne(Slot& slot);
  bool AllDown() const;
  void LogTransition(const Slot& slot, State old);
  void MainGone(Service& s);

  // ---- the stop sequence (stop_sequence.cpp) ----
  using StopCell = void (Supervisor::*)();
  static const StopCell kStopTable[kPhaseCount][kStopEventCount];
  void Dispatch(StopEvent e, std::optional<int> code = std::nullopt, const std::string& why = "");
  void Nothing() {}
  void BeginStop();
  void TermAgain();
  void DeadlineReached();
  void KillEverything();
  void BeginLeftovers();
  void CheckLeftovers();
  void GraceOver();
  void BeginDrain();
  void Finish();
  void FitInBudget(Service& s);
  std::string stop_why_;

  // ---- control requests waiting for their services to settle ----
  struct PendingOp {
    bool start;                 // start (settled: up, or failed) / stop (settled: down)
    std::vector<Slot*> targets;
    ControlDone done;
    std::vector<Slot*> then_start;  // restart: the set to start once stopped
    std::string report;             // what done() prints when all went well
  };
  bool ResolveNames(const std::vector<std::string>& names, std::vector<Slot*>* out,
                    ControlDone* done);
  std::vector<Slot*> WithDependencies(const std::vector<Slot*>& slots, bool dependents) const;
  void StartSet(const std::vector<Slot*>& set, bool wait, ControlDone done, std::string report);
  void StopSet(const std::vector<Slot*>& set, bool wait, ControlDone done,
               std::vector<Slot*> then_start, std::string report);
  std::string StartReport(const std::vector<Slot*>& set, const std::vector<Slot*>& named);
  void CheckPending();

  // ---- reload (supervisor_reload.cpp) ----
  struct ReloadOp {
    std::vector<Slot*> stopping;  // removed and changed: wanted down, in reverse order
    std::vector<Slot*> removed;
    std::vector<std::pair<Slot*, ServiceConfig>> changed;  // with the new definition
    std::vector<Slot*> restart;   // of changed: wanted up again once reconfigured
    std::vector<std::string> added;
    std::vector<Slot*> retry;     // blocked and wanted up: their dependency may be fixed
    std::string report;           // "stopped old\n..." so far
    ControlDone done;
  };
  void CheckReload();
  bool Reloading(const Slot* slot) const;  // being stopped by the reload applied now
  void FinishReload(ReloadOp op);
  void KeepMain(Config* next, ConfigDiff* diff);
  void RebuildGraph();
  std::optional<ReloadOp> reload_;        // stopping what the reload removes or changes
  std::vector<ControlDone> queued_reloads_;  // asked for meanwhile: one more read afterwards

  Slot* Find(const std::string& name);
  Slot* MainSlot();
  Slot* SlotOf(const Service& s);

  SupervisorSettings settings_;
  Config config_;
  SupervisorHost* host_;
  std::vector<std::unique_ptr<Slot>> slots_;  // in config order (by name)
  std::map<pid_t, Slot*> by_pid_;             // service main processes
  std::vector<PendingOp> pending_;
  // What the handlers recorded, in the order it happened; Settle() acts.
  struct Recorded {
    enum class Kind { kSignal, kMove, kStopEvent } kind;
    int sig = 0;                          // kSignal
    Slot* slot = nullptr;                 // kMove
    State old_state{}, new_state{};       // kMove
    StopEvent event{};                    // kStopEvent
    std::optional<int> code;              // kStopEvent: ctl shutdown --exit-code
    const char* why = "";                 // kStopEvent
  };
  void Record(Recorded r);
  std::vector<Recorded> recorded_;
  // The stop budget (SPEC §4): the whole sequence ends by deadline_at_
  // (start + shutdown_timeout); every process is SIGKILLed by kill_at_, so
  // that the last slice, DrainReserve(), is the log drain's.
  Clock::time_point deadline_at_{};
  Clock::time_point kill_at_{};
  Clock::duration leftovers_grace_{};  // --grace, or what was left of the budget
  Phase phase_ = Phase::kRunning;
  bool dirty_ = false;    // something was recorded: Settle() has work
  bool killed_ = false;   // graceful waits skipped (second signal, deadline)
  int exit_code_ = 0;
  bool exit_code_set_ = false;
};

}  // namespace steward
