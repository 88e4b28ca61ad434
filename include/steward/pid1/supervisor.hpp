// The supervisor: PID 1's policy. It owns the services, decides which may
// start (their dependencies are up) and which must stop (reverse order),
// runs the stop sequence of SPEC §4 as a Phase x StopEvent table, applies
// reloads as a diff, and acts on the control verbs of SPEC §6 that concern
// services (ControlContext, control_context.hpp, calls it).
//
// It touches no OS resource: everything it does to the world goes through
// its hosts, one per concern (ProcessHost is all three in steward, a fake
// in the unit tests): each Service's own ServiceHost (service.hpp), which
// the Services call directly and which reports their moves back through
// OnServiceMoved(); a StopHost for the stop sequence (timers, leftovers,
// the log drain, the exit); a ReloadHost for reload (reading the
// configuration, the OS side of services added or removed). Events come in
// through the On*() and Control*() methods, which only record; the host
// calls Settle() once per loop turn (from an ev_prepare), which acts on
// everything recorded until nothing changes. No handler runs policy inside
// another.
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
#include "steward/config/graph.hpp"
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

// The hosts, by concern: everything the policy asks of the world.

// The Services' host (ServiceHost, which each Service calls itself), and
// what the Supervisor asks about its services besides. Its StateChanged()
// does the host's part of a move (probes) and then reports it with
// Supervisor::OnServiceMoved().
class ServicesHost : public ServiceHost {
 public:
  // The service's main process was reaped (its log lines have no pid now).
  virtual void ProcessGone(Service& s) = 0;
  virtual Health HealthOf(const Service& s) const = 0;
  // The last health check's output, or why it failed (see HealthProbe).
  virtual std::string LastHealthCheck(const Service&) const { return ""; }
};

// The stop sequence's OS side (SPEC §4 steps 3-5).
class StopHost {
 public:
  virtual ~StopHost() = default;
  enum class Timer { kDeadline, kGrace };
  // The host reports StopEvent::kDeadline or kGrace when it runs out.
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
};

// Reload's OS side (supervisor_reload.cpp).
class ReloadHost {
 public:
  virtual ~ReloadHost() = default;
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
  // pipeline (log_changed: [log] differs), the control socket's group and
  // the volume watch follow it.
  virtual void ConfigApplied(const Config& config, bool log_changed) = 0;
};

struct SupervisorHosts {
  ServicesHost* services;
  StopHost* stop;
  ReloadHost* reload;
};

class Supervisor {
 public:
  Supervisor(SupervisorSettings settings, Config config, SupervisorHosts hosts);
  ~Supervisor();
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
  // The ServicesHost's StateChanged(): a Service moved (called inside its
  // transition). Logs the transition and records it.
  void OnServiceMoved(Service& s, State old_state);
  // The configuration volume changed (the host checked that its files
  // differ from what is installed): a reload, as for SIGHUP.
  void OnConfigVolumeChanged();

  Phase phase() const { return phase_; }
  int exit_code() const { return exit_code_; }
  // The services, in configuration order (for the host's bookkeeping).
  std::vector<Service*> services();

  // ---- control (SPEC §6), for ControlContext; see supervisor_control.cpp ----
  // Enabled services in name order.
  std::vector<ServiceStatus> Status() const;
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
  // `ctl reload` (SPEC §4), recorded as SIGHUP is: at the next Settle() the
  // configuration is read again through the ReloadHost; refused (exit 1,
  // every error) when invalid, otherwise applied as a diff. done() runs once the diff is applied, with one line
  // per service touched ("started new", "stopped old", "restarted app") or
  // "no changes". Ignored with a warning while stopping.
  void ControlReload(ControlDone done);
  // Applies next, already read and valid, as a diff against the running
  // configuration (ControlReload's second half; the unit tests call it).
  void Reload(Config next, SupervisorSettings settings, ControlDone done);

 private:
  struct Slot;

  void HandleSignal(int sig);
  void ReadAndReload(ControlDone done);  // what a recorded reload does
  void Moved(Slot& slot, State old_state, State new_state);
  void SettleOne(Slot& slot);
  bool AllDown() const;
  void LogTransition(const Slot& slot, State old);
  void MainGone(Service& s);

  // ---- the stop sequence (stop_sequence.cpp) ----
  using StopCell = void (Supervisor::*)();
  static const StopCell kStopTable[kPhaseCount][kStopEventCount];
  void Dispatch(StopEvent e, std::optional<int> code = std::nullopt, const std::string& why = {});
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
  void RebuildGraph();  // graph_ from the definitions now in the slots
  std::optional<ReloadOp> reload_;        // stopping what the reload removes or changes
  std::vector<ControlDone> queued_reloads_;  // asked for meanwhile: one more read afterwards

  Slot* Find(const std::string& name) const;  // enabled services only
  Slot* MainSlot();
  Slot* SlotOf(const Service& s);

  SupervisorSettings settings_;
  Config config_;
  ServicesHost* services_;
  StopHost* stop_;
  ReloadHost* reload_host_;
  std::vector<std::unique_ptr<Slot>> slots_;  // in config order (by name)
  // Service main processes not reaped yet: each launch (a move to running)
  // and each daemon adopted at its command's exit adds one; the reap takes
  // it out.
  std::map<pid_t, Slot*> by_pid_;
  // The running graph (RebuildGraph): a reload stops by the old one and
  // starts by the new one, rebuilt once what it stops is down.
  DepGraph graph_;
  std::vector<PendingOp> pending_;
  // What the handlers recorded, in the order it happened; Settle() acts.
  struct Recorded {
    enum class Kind { kSignal, kMove, kStopEvent, kReload } kind;
    int sig = 0;                          // kSignal
    Slot* slot = nullptr;                 // kMove
    State old_state{}, new_state{};       // kMove
    StopEvent event{};                    // kStopEvent
    std::optional<int> code;              // kStopEvent: ctl shutdown --exit-code
    const char* why = "";                 // kStopEvent
    ControlDone done;                     // kReload: who asked (null: SIGHUP, the volume)
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
