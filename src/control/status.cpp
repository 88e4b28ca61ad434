// The names ctl status prints for a state and a health (status.hpp).
#include "steward/control/status.hpp"

namespace steward {

const char* StateName(State s) {
  static const char* const kNames[] = {"stopped", "starting", "running", "ready", "stopping",
                                       "exited",  "backoff",  "failed",  "blocked"};
  return kNames[int(s)];
}

const char* HealthName(Health h) {
  static const char* const kNames[] = {"-", "starting", "healthy", "unhealthy"};
  return kNames[int(h)];
}

}  // namespace steward
