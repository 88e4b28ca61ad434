// `steward --check`: the directory read and the start plan of an accepted configuration.
#include "steward/config/check.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "steward/util/fd.hpp"
#include "steward/config/graph.hpp"

namespace steward {

std::string CheckText(const Config& config) {
  std::string out;
  std::string why = config.services_dir_why.empty() ? "" : "; " + config.services_dir_why;
  if (config.services_dir_exists) {
    out += config.services_dir_why.empty()
               ? fmt::format("services directory: {}\n", config.services_dir)
               : fmt::format("services directory: {} ({})\n", config.services_dir,
                             config.services_dir_why);
  } else {
    out += fmt::format("services directory: {} (does not exist{})\n", config.services_dir, why);
  }
  out += fmt::format("global file: {}\n", config.global.path.empty() ? "(none)" : config.global.path);
  if (!config.profile.empty()) out += fmt::format("profile: {}\n", config.profile);
  int enabled = 0, disabled = 0;
  for (const ServiceConfig& s : config.services) (s.enabled ? enabled : disabled)++;
  out += fmt::format("services: {} enabled, {} disabled\n", enabled, disabled);
  if (!config.services_dir_exists && config.global.path.empty()) {
    out += "mode: wrapper (no configuration; PROGRAM runs as under tini)\n";
    return out;
  }
  out += "start order (each line starts together, after the line above is ready):\n";
  int n = 1;
  for (const std::vector<std::string>& wave : StartWaves(BuildDepMap(config))) {
    std::string names;
    for (const std::string& s : wave) names += (names.empty() ? "" : " ") + s;
    out += fmt::format("  {}. {}\n", n++, names);
  }
  for (const ServiceConfig& s : config.services) {
    if (!s.enabled) out += fmt::format("  (disabled: {})\n", s.name);
  }
  return out;
}

bool PrintCheck(const Config& config, int fd) {
  WriteAll(fd, CheckText(config));
  return true;
}

}  // namespace steward
