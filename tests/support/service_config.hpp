// ServiceConfig builders for the unit tests: a service by name with its
// dependencies, everything else at its default, then what a test changes.
// (tests/pid1/supervisor_fixture.hpp's Svc and config_diff_test's Base can
// build on it too.)
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "steward/config/config.hpp"

namespace steward::testing {

// A longrun NAME running /bin/NAME, after deps.
inline ServiceConfig Longrun(const std::string& name, std::vector<std::string> deps = {}) {
  ServiceConfig c;
  c.name = name;
  c.command.argv = {"/bin/" + name};
  c.depends_on = std::move(deps);
  return c;
}

// A oneshot NAME, never restarted.
inline ServiceConfig Oneshot(const std::string& name, std::vector<std::string> deps = {}) {
  ServiceConfig c = Longrun(name, std::move(deps));
  c.type = ServiceType::kOneshot;
  c.restart = RestartPolicy::kNo;
  return c;
}

}  // namespace steward::testing
