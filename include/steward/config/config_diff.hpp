// What a reload changes (SPEC §4): the running configuration against the
// one just read, compared by effective definition (after profiles and
// interpolation, with every default applied), so that a reformatted file or
// a moved comment changes nothing.
#pragma once

#include <string>
#include <vector>

#include "steward/config/config.hpp"

namespace steward {

struct ConfigDiff {
  // By name, in configuration order. "Enabled" counts: a service newly
  // `enabled = false` is removed, a newly enabled one added.
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  std::vector<std::string> added;
  bool log_changed = false;  // [log] of the global file (sinks, console, ...)
  bool empty() const { return removed.empty() && changed.empty() && added.empty() && !log_changed; }
};

ConfigDiff DiffConfigs(const Config& running, const Config& next);

// Equal effective definitions over the fields config_fields.hpp lists (the
// file a service came from does not count).
bool SameService(const ServiceConfig& a, const ServiceConfig& b);
bool SameLog(const LogConfig& a, const LogConfig& b);
bool SameSink(const SinkConfig& a, const SinkConfig& b);

}  // namespace steward
