// The dependency graph of the enabled services (SPEC §3 depends_on, §4):
// the one graph that --check, `ctl graph`, and the Supervisor's start, stop
// and reload all use.
//
// A DepMap is plain data: each enabled service and the enabled services it
// depends on. Edges to unknown, disabled or the service itself are left out
// (LoadConfig reports those separately), so every function here works on
// any Config, valid or not. Everything is deterministic: names in
// alphabetical order, so --check and `ctl graph` print the same every time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "steward/config/config.hpp"

namespace steward {

// service -> the services it depends on (sorted, no duplicates).
using DepMap = std::map<std::string, std::vector<std::string>>;

// The graph both ways, as the Supervisor walks it: a service starts once
// its dependencies are up and stops only once its dependents are down
// (reverse order). Its edges are BuildDepMap's (enabled, known, not the
// service itself, each once); each service's dependencies are in the order
// depends_on names them, its dependents in the order `services` lists them,
// so every walk is deterministic.
class DepGraph {
 public:
  DepGraph() = default;
  explicit DepGraph(const std::vector<const ServiceConfig*>& services);

  // Empty for a service that is not in the graph (unknown or disabled).
  const std::vector<std::string>& DependenciesOf(const std::string& name) const;
  const std::vector<std::string>& DependentsOf(const std::string& name) const;
  // `names` first, then, breadth-first, every service they reach through
  // their dependencies (or their dependents), each once.
  std::vector<std::string> Closure(const std::vector<std::string>& names, bool dependents) const;

 private:
  DepMap dependencies_;
  DepMap dependents_;
};

// The enabled services of `config` and their dependencies among them.
DepMap BuildDepMap(const Config& config);

// Every dependency cycle reachable in `deps`, each as the path of names that
// starts and ends with its alphabetically first member ({"a","b","a"}).
// Sorted and without duplicates; empty when the graph is acyclic.
std::vector<std::vector<std::string>> FindCycles(const DepMap& deps);

// "dependency cycle: a -> b -> a"
std::string FormatCycle(const std::vector<std::string>& cycle);

// Services grouped by the earliest moment they can start: wave 0 has no
// dependencies, wave k holds the services whose deepest dependency is in
// wave k-1. Each wave is sorted by name. Services on or behind a cycle are
// left out (a valid Config has none).
std::vector<std::vector<std::string>> StartWaves(const DepMap& deps);

// The reverse of StartWaves: a service comes after every service that
// depends on it, so it is stopped only once they have stopped.
std::vector<std::vector<std::string>> StopOrder(const DepMap& deps);

// Graphviz DOT of the enabled services, an edge from each service to what
// it depends on; services without dependencies appear as lone nodes:
//   digraph steward {
//     "app" -> "db";
//     "db";
//   }
std::string GraphDot(const Config& config);

}  // namespace steward
