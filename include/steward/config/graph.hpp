// The dependency graph of the enabled services (SPEC §3 depends_on, §4).
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
