// Readiness (SPEC §3 [ready]) and health ([healthcheck]) of one service.
//
// A ReadinessProbe lives while its service is `running`: it is armed before
// the launch (it may add a descriptor or NOTIFY_SOCKET to the child), then
// either waits to be notified (systemd notify, s6 notify fd: no wake-up
// until the service speaks) or polls every `interval` (tcp, command, file)
// until ready. The readiness *timeout* belongs to the Service. A HealthProbe
// lives while its service is `ready` and runs the test every `interval`.
//
// Probes own their sockets, pipes and watchers; helper processes they start
// are reaped by the supervisor, which calls back through HelperRunner.
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/control/status.hpp"  // Health
#include "steward/util/fd.hpp"
#include "steward/pid1/spawn.hpp"
#include "steward/util/watcher.hpp"

namespace steward {

// Starts short-lived helper processes (check commands) and reports their
// exit. Implemented by the Supervisor, which reaps everything.
class HelperRunner {
 public:
  virtual ~HelperRunner() = default;
  // Returns the pid, or -1 when it could not start (already logged).
  virtual pid_t RunHelper(SpawnRequest req, std::function<void(int status)> on_exit) = 0;
  // SIGKILLs the helper's group and drops its callback.
  virtual void CancelHelper(pid_t pid) = 0;
};

class ReadinessProbe {
 public:
  ReadinessProbe(struct ev_loop* loop, const ServiceConfig& cfg, std::string runtime_dir,
                 HelperRunner* runner, std::function<void()> on_ready);
  ~ReadinessProbe();
  ReadinessProbe(const ReadinessProbe&) = delete;
  ReadinessProbe& operator=(const ReadinessProbe&) = delete;

  // Before launch: adds what the child needs to *req (a descriptor, an
  // environment variable) and removes a stale ready file. `base` is the
  // service's own request, reused for check commands.
  bool Arm(SpawnRequest* req, std::string* err);
  // After launch: begin waiting or polling. Readiness is reported from the
  // event loop only, never from within Begin().
  void Begin();
  // Leaving `running`: release everything. Idempotent.
  void End();

 private:
  void OnNotify();
  void OnConnect();
  void Poll();
  void TryConnect();
  void Ready();

  struct ev_loop* loop_;
  const ServiceConfig& cfg_;
  std::string runtime_dir_;
  HelperRunner* runner_;
  std::function<void()> on_ready_;
  SpawnRequest check_req_;   // for the command kind: the service's identity and env
  std::string socket_path_;  // systemd notify
  UniqueFd notify_fd_;       // read end (notify_fd) or datagram socket (systemd)
  UniqueFd notify_child_end_;  // write end handed to the child, closed after launch
  UniqueFd connect_fd_;      // tcp: the attempt in flight
  pid_t check_pid_ = -1;     // command: the check in flight
  IoWatcher io_;
  IoWatcher connect_io_;
  TimerWatcher tick_;  // Poll()
  bool active_ = false;
};

// Health and HealthName: control/status.hpp.
class HealthProbe {
 public:
  HealthProbe(struct ev_loop* loop, const ServiceConfig& cfg, HelperRunner* runner,
              std::function<void()> on_unhealthy);
  ~HealthProbe();
  HealthProbe(const HealthProbe&) = delete;
  HealthProbe& operator=(const HealthProbe&) = delete;

  void Begin(const SpawnRequest& service_req);
  void End();
  Health health() const { return health_; }
  // The last check's result for ctl status: its output (bounded, trimmed),
  // or why it failed without any ("exit status 1", "timed out after 30s").
  const std::string& last_check() const { return last_check_; }

 private:
  void OnTimeout();
  void RunTest();
  void OnOutput();
  void CloseOutput();
  void Finished(bool ok, std::string why);
  void Result(bool ok);

  struct ev_loop* loop_;
  const ServiceConfig& cfg_;
  HelperRunner* runner_;
  std::function<void()> on_unhealthy_;
  SpawnRequest test_req_;
  Health health_ = Health::kNone;
  int failures_ = 0;
  ev_tstamp began_ = 0;
  pid_t test_pid_ = -1;
  TimerWatcher tick_;  // RunTest()
  TimerWatcher timeout_;
  // The test's stdout and stderr come here, not into the service's log
  // (SPEC §3: only a change of health is logged, as docker-compose does).
  UniqueFd output_fd_;  // read end, while a test runs
  IoWatcher output_io_;
  std::string output_;      // what the running test wrote, up to kMaxOutput
  std::string last_check_;
};

}  // namespace steward
