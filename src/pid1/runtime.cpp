#include "steward/pid1/runtime.hpp"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "steward/util/diag.hpp"

namespace steward {

namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A directory we own (not a symlink someone else planted in /tmp) and can
// write to, created when missing.
bool UsableDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) return false;
  struct stat st;
  if (lstat(path.c_str(), &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
    return false;
  return access(path.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string ResolveServicesDir(const Options& o) {
  if (o.services_dir) return *o.services_dir;
  // Many base images ship /etc/services as the network services database.
  return IsDir("/etc/services") ? "/etc/services" : "/etc/services.d";
}

std::string ResolveConfigFile(const Options& o) {
  if (o.config_file) return *o.config_file;
  return access("/etc/steward.toml", F_OK) == 0 ? "/etc/steward.toml" : "";
}

std::string PrepareRuntimeDir(const Options& o) {
  if (o.runtime_dir) {
    if (UsableDir(*o.runtime_dir)) return *o.runtime_dir;
    Warning("runtime directory {} is not usable ({}); running without control socket and "
            "with in-memory spools",
            *o.runtime_dir, strerror(errno));
    return "";
  }
  if (UsableDir("/run/steward")) return "/run/steward";
  std::string tmp = fmt::format("/tmp/steward-{}", geteuid());
  if (UsableDir(tmp)) return tmp;
  Warning("neither /run/steward nor {} is writable (read-only root?); running without "
          "control socket and with in-memory spools (set --runtime-dir to a writable place)",
          tmp);
  return "";
}

}  // namespace steward
