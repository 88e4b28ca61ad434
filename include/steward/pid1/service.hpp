// One service's lifecycle as an explicit State x Event table (s6's model).
//
// A Service owns no OS resource itself: it asks its ServiceHost to launch,
// signal and time, and reports every state change back to it. That seam is
// what the unit tests fake (clock and launcher) to walk the table pair by
// pair; ProcessHost is the real host (the Supervisor's ServicesHost, which
// reports each state change on to the Supervisor).
//
// Who decides what: the Service decides what its own process's exit means
// (restart, back-off, failed for good); the Supervisor decides *when* a
// service may start (dependencies) and when it must stop (shutdown order).
//
// Intent apart from state (s6's wanted-up flag): want() says whether the
// service should be up; the state says only what its process does. kStart
// and kStop set the want and act on it; SetWant() records it alone, for a
// stop the Supervisor carries out later in reverse dependency order. A stop
// that ends with the want still up (a restart, an unhealthy service) goes
// on to kStarting.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "steward/config/config.hpp"
#include "steward/control/status.hpp"  // State, Clock

namespace steward {

// State, StateName and Clock: control/status.hpp (ctl status shows them).

enum class Event {
  kStart,      // wanted up (from now on); starts it when it is down
  kDepsReady,  // every dependency is ready or completed
  kReady,      // the readiness check succeeded
  kExit,       // its process exited (status in the event)
  kReaped,     // some process was reaped: its group may now be empty
  kTimer,      // the service's one deadline passed
  kStop,       // wanted down (from now on); stops it now
  kBlock,      // a dependency failed for good
  kUnhealthy,  // the health check failed `retries` times
};
constexpr int kEventCount = 9;

enum class Want { kDown, kUp };

const char* EventName(Event e);

class Service;

// Why a start failed, as the host reports it (the message is already logged).
struct LaunchFailure {
  int exit_code = 1;   // counted as the run's exit status: 127, 126 or 1
  bool final = false;  // a retry cannot help (EPERM on the identity switch,
                       // ENOENT or EACCES on the program): failed at once
};

// The OS seam: everything a Service needs from the world.
class ServiceHost {
 public:
  virtual ~ServiceHost() = default;
  // Starts the service's process; returns its pid, or -1 with *failure
  // filled and a message already logged.
  virtual pid_t Launch(Service& s, LaunchFailure* failure) = 0;
  // Sends sig to the process, or to its whole group.
  virtual void Kill(pid_t pid, bool group, int sig) = 0;
  // Runs the service's stop_command; returns false when it could not start.
  virtual bool RunStopCommand(Service& s) = 0;
  // True while any process remains in process group pgid.
  virtual bool GroupAlive(pid_t pgid) = 0;
  // The service's single deadline (replaces any previous); Cancel removes it.
  virtual void SetTimer(Service& s, Clock::duration after) = 0;
  virtual void CancelTimer(Service& s) = 0;
  virtual Clock::time_point Now() = 0;
  // Called after every transition, with the state left.
  virtual void StateChanged(Service& s, State old_state) = 0;
  // The command of a service with pid_file exited 0: the daemon's pid read
  // from the file, which is the service's process from now on, or -1 (and
  // a message logged) when there is no daemon steward may adopt.
  virtual pid_t AdoptDaemon(Service& s) {
    (void)s;
    return -1;
  }
};

class Service {
 public:
  Service(ServiceConfig cfg, KillMode default_kill_mode, ServiceHost* host);

  void Handle(Event e, int status = 0);
  // Records the intent without acting on it.
  void SetWant(Want w) { want_ = w; }

  const ServiceConfig& config() const { return cfg_; }
  const std::string& name() const { return cfg_.name; }
  State state() const { return state_; }
  Want want() const { return want_; }
  pid_t pid() const { return pid_; }
  bool has_exited() const { return has_exited_; }
  int last_status() const { return last_status_; }  // wait status, valid if has_exited()
  int restarts() const { return restarts_; }
  Clock::time_point started_at() const { return started_at_; }
  bool group_kill() const { return kill_mode_ == KillMode::kGroup; }
  // True when the service is down and will not come back by itself.
  bool IsDown() const;
  // Down for dependents: a oneshot completed with 0 or a longrun ready.
  bool SatisfiesDependents() const;
  // Replaces the configuration (reload); takes effect at the next start.
  void Reconfigure(ServiceConfig cfg, KillMode default_kill_mode);
  // A failure that is final and caused by the service itself (not blocked).
  bool failed_for_good() const { return state_ == State::kFailed; }
  // Skip the grace: SIGKILL now (second SIGTERM, shutdown deadline).
  void KillNow();
  // It has a process that has not been sent SIGKILL yet (KillNow would).
  bool Killable() const;
  // The stop budget (SPEC §4): the next stops send SIGKILL after at most
  // `max`, whatever stop_grace_period says. Clock::duration::max() lifts it.
  void LimitGrace(Clock::duration max) { grace_limit_ = max; }
  // The grace a stop begun now gets: stop_grace_period, or the limit.
  Clock::duration EffectiveGrace() const;
  // A restart asked for from outside (ctl restart): counted in RESTARTS.
  void CountRestart() { ++restarts_; }

 private:
  using Handler = void (Service::*)(int status);
  static const Handler kTable[kStateCount][kEventCount];

  void Ignore(int) {}
  void Start(int);
  void Launch(int);
  void BecomeReady(int);
  void OnExit(int status);
  void OnExitWhileStopping(int status);
  void OnReapedWhileStopping(int);
  void OnReadyTimeout(int);
  void OnGraceElapsed(int);
  void StopRunning(int);
  void StopIdle(int);
  void Block(int);
  void RestartUnhealthy(int);

  void Transition(State next);
  void FinishStop();
  void AfterFailure(int exit_code);
  void SendStop();
  Clock::duration BackoffDelay() const;

  ServiceConfig cfg_;
  KillMode kill_mode_;
  ServiceHost* host_;
  State state_ = State::kStopped;
  Want want_ = Want::kDown;
  pid_t pid_ = 0;           // 0 when no process; the pgid too in group mode
  bool has_exited_ = false;
  int last_status_ = 0;     // wait status of the last run
  int restarts_ = 0;        // restarts since steward started (ctl status)
  int failures_in_row_ = 0; // consecutive failed runs, for back-off and max_restarts
  bool ready_timed_out_ = false;  // the coming exit (or stop) is a failed start
  Clock::duration grace_limit_ = Clock::duration::max();
  Clock::duration grace_{};       // stopping: the grace this stop was given
  bool main_exited_ = false;      // stopping: process gone, group may linger
  bool adopted_ = false;          // pid_ is the daemon read from pid_file
  bool sigkill_sent_ = false;     // this run got SIGKILL already
  Clock::time_point started_at_{};
};

}  // namespace steward
