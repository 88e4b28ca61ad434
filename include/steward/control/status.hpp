// The vocabulary of a `steward ctl` answer: the states and health a service
// shows, one service as `ctl status` shows it, and how an answer comes back.
// PID 1 fills these in (the Supervisor's Status()); the control library
// formats them (control.hpp). Plain data: no pid1 header is needed to
// read or format an answer.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "steward/config/config.hpp"

namespace steward {

using Clock = std::chrono::steady_clock;

// A service's state (the Service's table, service.hpp, moves between them).
enum class State {
  kStopped,   // no process
  kStarting,  // no process yet: wanted up, waiting for the Supervisor's
              // kDepsReady (every dependency ready or completed), which
              // launches it; this is the only meaning of "starting"
  kRunning,   // process started, not yet ready
  kReady,     // started and ready (longrun)
  kStopping,  // stop signal sent; waiting for the process (group) to end
  kExited,    // ran to completion with status 0 (oneshot, or longrun not restarted)
  kBackoff,   // exited; waiting out the restart delay
  kFailed,    // failed for good: restarts exhausted or not wanted
  kBlocked,   // a dependency failed for good
};
constexpr int kStateCount = 9;

// "stopped", "starting", ... as ctl status prints them.
const char* StateName(State s);

// What a service's health check says (HealthProbe, probes.hpp).
enum class Health { kNone, kStarting, kHealthy, kUnhealthy };
// "-", "starting", "healthy", "unhealthy".
const char* HealthName(Health h);

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

// One log sink as `steward ctl status` shows it.
struct SinkDrops {
  std::string name;
  uint64_t dropped = 0;
  std::string problem;  // why it cannot deliver now; "" when it can
};

// What a control request reports when it is done: an exit status for
// `steward ctl` and the text to print.
using ControlDone = std::function<void(int exit_code, const std::string& text)>;

}  // namespace steward
