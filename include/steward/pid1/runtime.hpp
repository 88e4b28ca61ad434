// Resolving where things are: the services directory, the global file and
// the runtime directory (SPEC §1 defaults), from options and the filesystem.
#pragma once

#include <string>

#include "steward/config/options.hpp"

namespace steward {

// --services, else /etc/services when it is a directory, else /etc/services.d.
std::string ResolveServicesDir(const Options& o);

// --config, else /etc/steward.toml when it exists, else "".
std::string ResolveConfigFile(const Options& o);

// Creates and returns the runtime directory: --runtime-dir, else
// /run/steward, else /tmp/steward-UID; "" (with a warning) when none is
// writable, e.g. on a read-only root.
std::string PrepareRuntimeDir(const Options& o);

}  // namespace steward
