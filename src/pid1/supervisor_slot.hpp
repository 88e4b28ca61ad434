// What the Supervisor keeps for one service (shared by its three .cpp files).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "steward/pid1/service.hpp"
#include "steward/pid1/supervisor.hpp"

namespace steward {

struct Supervisor::Slot {
  std::unique_ptr<Service> svc;
  std::vector<Slot*> dependents;    // services whose depends_on names this one
  std::vector<Slot*> dependencies;
  std::string blocked_by;           // the failed dependency, when blocked
};

}  // namespace steward
