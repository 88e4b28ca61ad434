// LogHub's lifecycle: the phase table (hub.hpp), kept apart so that it reads as one table.
#include "steward/log/hub.hpp"

namespace steward::log {

LogHub::Phase LogHub::Next(Phase phase, Event event) {
  using P = Phase;
  using E = Event;
  switch (phase) {
    case P::kIdle:
      if (event == E::kStart) return P::kStarting;
      if (event == E::kDrain) return P::kDone;  // nothing ever started
      break;
    case P::kStarting:
      if (event == E::kForked) return P::kRunning;
      if (event == E::kDrain) return P::kDraining;
      break;
    case P::kRunning:
      if (event == E::kReconfigure) return P::kHandingOver;
      if (event == E::kDrain) return P::kDraining;
      if (event == E::kExited || event == E::kDied) return P::kStarting;
      break;
    case P::kHandingOver:
      if (event == E::kDrain) return P::kHandingOverToDrain;
      if (event == E::kExited || event == E::kDied) return P::kStarting;
      break;
    case P::kHandingOverToDrain:
      if (event == E::kExited || event == E::kDied) return P::kDraining;
      if (event == E::kDeadline) return P::kDrainKilled;
      break;
    case P::kDraining:
      if (event == E::kExited || event == E::kStartFailed) return P::kDone;
      if (event == E::kDeadline) return P::kDrainKilled;
      break;  // kDied: restarted, still draining
    case P::kDrainKilled:
      if (event == E::kExited || event == E::kDied) return P::kDone;
      break;
    case P::kDone:
      break;
  }
  return phase;
}

}  // namespace steward::log
