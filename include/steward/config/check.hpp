// `steward --check`: prints which directory was read and the start plan
// (services grouped by when they can start), for a configuration that
// LoadConfig() accepted.
#pragma once

#include "steward/config/config.hpp"

namespace steward {

// Writes the plan to fd; returns true (the configuration is valid).
bool PrintCheck(const Config& config, int fd);

// The text PrintCheck writes, for tests.
std::string CheckText(const Config& config);

}  // namespace steward
