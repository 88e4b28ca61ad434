// The configuration volume (SPEC §7): a tree, e.g. /config, installed over
// the image's root before anything starts, so that one image serves every
// environment. /config/etc/nginx/nginx.conf replaces /etc/nginx/nginx.conf;
// a file ending in .tmpl is interpolated like a service file (${VAR},
// ${VAR:-default}, $$) and installed without the suffix. Each file is
// written to a temporary name beside its destination and renamed over it,
// so a reader never sees half a file.
#pragma once

#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/config/interpolate.hpp"

namespace steward {

struct VolumeResult {
  std::vector<std::string> installed;  // destination paths written, in tree order
  std::vector<std::string> unchanged;  // destinations that already held the same bytes
  std::vector<std::string> errors;     // "PATH: message", one per file that failed
};

// Installs every regular file below `volume` at the same path below `root`
// ("/" in production). Directories are created as needed (0755); files keep
// their mode. Every file is read and rendered first: when any of them fails
// (a template with an unset variable, an unreadable file, a special file or
// a link that leaves the volume) every failure is reported and nothing is
// installed. Links inside the volume are followed and entries named `..*`
// skipped, which is the layout of Kubernetes ConfigMap and Secret volumes.
// A destination that already holds the same bytes and mode is not
// rewritten. Only a failed write can leave part of a volume installed.
// The volume in use: STEWARD_CONFIG_VOLUME when set and not empty, else
// config_volume of the global file; "" for none.
std::string ConfigVolumePath(const GlobalConfig& global);

VolumeResult InstallConfigVolume(const std::string& volume, const std::string& root,
                                 const EnvMap& env);

}  // namespace steward
