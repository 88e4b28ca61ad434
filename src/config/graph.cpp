// The dependency graph of the enabled services: the Supervisor's walks,
// checks, start plan, Graphviz DOT.
#include "steward/config/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace steward {

DepGraph::DepGraph(const std::vector<const ServiceConfig*>& services) {
  for (const ServiceConfig* s : services) {
    if (s->enabled) dependencies_[s->name];
  }
  for (const ServiceConfig* s : services) {
    if (!s->enabled) continue;
    std::vector<std::string>& out = dependencies_[s->name];
    for (const std::string& d : s->depends_on) {
      if (d == s->name || !dependencies_.count(d)) continue;
      if (std::find(out.begin(), out.end(), d) != out.end()) continue;
      out.push_back(d);
      dependents_[d].push_back(s->name);
    }
  }
}

namespace {
const std::vector<std::string>& EdgesOf(const DepMap& edges, const std::string& name) {
  static const std::vector<std::string> kNone;
  auto it = edges.find(name);
  return it == edges.end() ? kNone : it->second;
}
}  // namespace

const std::vector<std::string>& DepGraph::DependenciesOf(const std::string& name) const {
  return EdgesOf(dependencies_, name);
}

const std::vector<std::string>& DepGraph::DependentsOf(const std::string& name) const {
  return EdgesOf(dependents_, name);
}

std::vector<std::string> DepGraph::Closure(const std::vector<std::string>& names,
                                           bool dependents) const {
  std::vector<std::string> set = names;
  for (size_t i = 0; i < set.size(); ++i) {
    for (const std::string& next : dependents ? DependentsOf(set[i]) : DependenciesOf(set[i])) {
      if (std::find(set.begin(), set.end(), next) == set.end()) set.push_back(next);
    }
  }
  return set;
}

DepMap BuildDepMap(const Config& config) {
  std::vector<const ServiceConfig*> services;
  for (const ServiceConfig& s : config.services) services.push_back(&s);
  DepGraph graph(services);
  DepMap deps;
  for (const ServiceConfig& s : config.services) {
    if (!s.enabled) continue;
    std::vector<std::string>& out = deps[s.name] = graph.DependenciesOf(s.name);
    std::sort(out.begin(), out.end());
  }
  return deps;
}

namespace {

// Depth-first search in name order; each edge back onto the current path
// closes a cycle. Colours: absent = unvisited, 1 = on the path, 2 = done.
class CycleFinder {
 public:
  explicit CycleFinder(const DepMap& deps) : deps_(deps) {}

  std::vector<std::vector<std::string>> Run() {
    for (const auto& entry : deps_) {
      if (!colour_.count(entry.first)) Visit(entry.first);
    }
    return std::vector<std::vector<std::string>>(found_.begin(), found_.end());
  }

 private:
  void Visit(const std::string& name) {
    colour_[name] = 1;
    path_.push_back(name);
    auto it = deps_.find(name);
    if (it != deps_.end()) {
      for (const std::string& d : it->second) {
        int c = colour_.count(d) ? colour_[d] : 0;
        if (c == 0) Visit(d);
        else if (c == 1) Record(d);
      }
    }
    path_.pop_back();
    colour_[name] = 2;
  }

  // path_ ends somewhere after `start`; the cycle is start ... back to start,
  // rotated to begin at its smallest name so the text does not depend on
  // where the search entered it.
  void Record(const std::string& start) {
    auto from = std::find(path_.begin(), path_.end(), start);
    std::vector<std::string> cycle(from, path_.end());
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    cycle.push_back(cycle.front());
    found_.insert(std::move(cycle));
  }

  const DepMap& deps_;
  std::map<std::string, int> colour_;
  std::vector<std::string> path_;
  std::set<std::vector<std::string>> found_;
};

}  // namespace

std::vector<std::vector<std::string>> FindCycles(const DepMap& deps) {
  return CycleFinder(deps).Run();
}

std::string FormatCycle(const std::vector<std::string>& cycle) {
  return fmt::format("dependency cycle: {}", fmt::join(cycle, " -> "));
}

std::vector<std::vector<std::string>> StartWaves(const DepMap& deps) {
  // Kahn-style rounds: a service joins the first round in which every one
  // of its dependencies already has a wave. Quadratic in the worst case,
  // which for a container's handful of services is nothing.
  std::map<std::string, size_t> wave;
  std::vector<std::vector<std::string>> waves;
  for (bool progress = true; progress;) {
    progress = false;
    std::vector<std::string> next;
    for (const auto& [name, ds] : deps) {
      if (wave.count(name)) continue;
      bool ready = std::all_of(ds.begin(), ds.end(), [&](const std::string& d) {
        return wave.count(d) && wave[d] < waves.size();
      });
      if (ready) next.push_back(name);
    }
    for (const std::string& n : next) wave[n] = waves.size();
    if (!next.empty()) {
      waves.push_back(std::move(next));
      progress = true;
    }
  }
  return waves;
}

std::vector<std::vector<std::string>> StopOrder(const DepMap& deps) {
  std::vector<std::vector<std::string>> waves = StartWaves(deps);
  std::reverse(waves.begin(), waves.end());
  return waves;
}

std::string GraphDot(const Config& config) {
  std::string out = "digraph steward {\n";
  for (const auto& [name, ds] : BuildDepMap(config)) {
    if (ds.empty()) out += fmt::format("  \"{}\";\n", name);
    for (const std::string& d : ds) out += fmt::format("  \"{}\" -> \"{}\";\n", name, d);
  }
  out += "}\n";
  return out;
}

}  // namespace steward
