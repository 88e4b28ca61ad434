// The small queries on a loaded Config, and the environment as a map.
#include <string.h>

#include <algorithm>

#include "steward/config/config.hpp"

namespace steward {

bool Config::HasServices() const {
  return std::any_of(services.begin(), services.end(),
                     [](const ServiceConfig& s) { return s.enabled && !s.from_command_line; });
}

std::map<std::string, std::string> EnvironmentFrom(const char* const* vars) {
  std::map<std::string, std::string> env;
  for (const char* const* e = vars; e && *e; ++e) {
    const char* eq = strchr(*e, '=');
    if (eq) env.emplace(std::string(*e, size_t(eq - *e)), std::string(eq + 1));
  }
  return env;
}

const ServiceConfig* Config::Find(const std::string& name) const {
  for (const ServiceConfig& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace steward
