// What the Supervisor keeps for one service (shared by its .cpp files); its
// edges are the Supervisor's DepGraph (config/graph.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "steward/pid1/service.hpp"
#include "steward/pid1/supervisor.hpp"

namespace steward {

struct Supervisor::Slot {
  std::unique_ptr<Service> svc;
  std::string blocked_by;           // the failed dependency, when blocked
};

}  // namespace steward
