// The OS side of the supervisor: PID 1's event loop and everything the
// policy (Supervisor) must not touch itself.
//
// It owns the libev watchers (every forwardable signal through signalfd,
// one ev_child on pid 0 that reaps every process, orphans included, the
// per-service timers, the shutdown deadline and --grace), builds each
// service's environment and spawns it, runs helper processes (checks, stop
// commands), holds the readiness and health probes, the log hub, and the
// control server with its ControlContext (the verbs act on the Supervisor
// and the log hub). It is the Supervisor's three hosts (ServicesHost,
// StopHost, ReloadHost). Every event is handed to the Supervisor, which
// only records it; one ev_prepare per loop turn calls Supervisor::Settle().
#pragma once

#include <ev.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/log/hub.hpp"
#include "steward/pid1/probes.hpp"
#include "steward/util/signals.hpp"
#include "steward/pid1/spawn.hpp"
#include "steward/pid1/supervisor.hpp"
#include "steward/pid1/volume_watch.hpp"
#include "steward/util/watcher.hpp"

namespace steward {

class ControlContext;
class ControlServer;

// Reads the configuration again for a reload, as main() did at start (the
// volume installed again first); see ReloadHost::ReadConfig.
using ConfigReader =
    std::function<bool(Config* config, SupervisorSettings* settings, std::vector<std::string>* errors)>;

// Runs steward as init: the services of config under settings until the
// stop sequence is over. Returns steward's exit status (SPEC §1 table).
int RunInit(struct ev_loop* loop, SupervisorSettings settings, Config config,
            const InheritedSignals* signals, ConfigReader read);

class ProcessHost : public ServicesHost,
                    public StopHost,
                    public ReloadHost,
                    public HelperRunner {
 public:
  ProcessHost(struct ev_loop* loop, SupervisorSettings settings, const InheritedSignals* signals,
              ConfigReader read);
  ~ProcessHost() override;
  ProcessHost(const ProcessHost&) = delete;
  ProcessHost& operator=(const ProcessHost&) = delete;

  // Starts the log pipeline and the control socket, wants every service up
  // and runs the loop until the Supervisor's stop sequence ends.
  int Run(Supervisor* sup);

  // ServicesHost
  pid_t Launch(Service& s, LaunchFailure* failure) override;
  pid_t AdoptDaemon(Service& s) override;
  void Kill(pid_t pid, bool group, int sig) override;
  bool RunStopCommand(Service& s) override;
  bool GroupAlive(pid_t pgid) override;
  void SetTimer(Service& s, Clock::duration after) override;
  void CancelTimer(Service& s) override;
  Clock::time_point Now() override { return Clock::now(); }
  void StateChanged(Service& s, State old_state) override;
  void ProcessGone(Service& s) override;
  Health HealthOf(const Service& s) const override;
  std::string LastHealthCheck(const Service& s) const override;
  // StopHost
  void StartTimer(Timer t, Clock::duration after) override;
  void StopTimer(Timer t) override;
  int SignalLeftovers(int sig) override;
  bool LeftoversGone() override;
  void DrainLogs(Clock::time_point deadline) override;
  void Exit() override;
  // ReloadHost
  bool ReadConfig(Config* config, SupervisorSettings* settings,
                  std::vector<std::string>* errors) override;
  void ServiceAdded(Service& s) override;
  void ServiceRemoved(Service& s) override;
  void ConfigApplied(const Config& config, bool log_changed) override;

  // HelperRunner
  pid_t RunHelper(SpawnRequest req, std::function<void(int status)> on_exit) override;
  void CancelHelper(pid_t pid) override;

 private:
  struct Proc;

  void OnChild();
  void OnSignals();
  void OnPrepare();
  void OnDeadline();
  void OnGrace();
  SpawnRequest BuildRequest(const Service& s, bool* ok);
  // A reload compares env_files with what each service read at its start.
  void EnvSinceStart(Config* next) const;
  bool AttachLogs(const Service& s, SpawnRequest* req);
  pid_t ForwarderPid() const;
  Proc& ProcOf(const Service& s) const;
  void AddProc(Service* s);
  void ExpectServices(const Config& config);
  void WatchVolume(const Config& config);
  void OnVolumeChanged();
  std::string DaemonProblem(const Service& s, pid_t pid) const;
  void WarnIfDaemonized(const Service& s, State old);

  struct ev_loop* loop_;
  SupervisorSettings settings_;
  const InheritedSignals* signals_;
  Supervisor* sup_ = nullptr;
  std::unique_ptr<log::LogHub> logs_;       // null in wrapper mode
  std::unique_ptr<ControlContext> verbs_;   // what control_'s requests act on
  std::unique_ptr<ControlServer> control_;  // null without a runtime directory
  ConfigReader read_;
  std::unique_ptr<VolumeWatcher> volume_;   // null when not watching
  std::string volume_path_;                 // what volume_ watches
  std::vector<std::unique_ptr<Proc>> procs_;           // one per Service, in its order
  std::map<pid_t, std::function<void(int)>> helpers_;  // checks, stop commands
  // Each service's last launch: its pid and when (BootTicks), to tell what
  // it left running when it exits 0 (process_host_daemon.cpp).
  struct Launched {
    pid_t pid = 0;
    unsigned long long ticks = 0;
  };
  std::map<const Service*, Launched> launched_;
  UniqueFd signal_fd_;     // every forwardable signal (SIGCHLD is libev's)
  IoWatcher signals_io_;
  ChildWatcher child_;
  PrepareWatcher settle_;  // Supervisor::Settle(), once per loop turn
  TimerWatcher deadline_;  // --shutdown-timeout, while stopping
  TimerWatcher grace_;     // --grace, for leftovers
};

}  // namespace steward
