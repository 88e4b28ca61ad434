// Where steward's files are: services directory, global file, and the
// runtime directory it creates (control socket, spools, state).
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

// mkdir for every missing component of `path`, parents first. Existing
// components are followed as they are (the image's /run may be a symlink
// to /var/run); only the last one is held to the ownership rules.
bool MakeParents(const std::string& path, std::string* err) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (mkdir(part.c_str(), 0755) == 0 || errno == EEXIST) continue;
    *err = fmt::format("cannot create {}: {}", part, strerror(errno));
    return false;
  }
  return true;
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

std::vector<std::string> RuntimeDirCandidates(const Options& o, uid_t uid) {
  if (o.runtime_dir) return {*o.runtime_dir};
  return {"/run/steward", fmt::format("/tmp/steward-{}", uid)};
}

bool MakeRuntimeDir(const std::string& path, uid_t uid, std::string* err) {
  if (path.empty() || path[0] != '/') {
    *err = fmt::format("runtime directory '{}' is not an absolute path", path);
    return false;
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  if (!MakeParents(trimmed, err)) return false;
  // The directory itself must be ours and real: a symlink or a directory
  // someone else made in /tmp would hand them our control socket.
  struct stat st;
  if (lstat(trimmed.c_str(), &st) < 0) {
    *err = SysError("lstat", trimmed, errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *err = fmt::format("{} is not a directory", trimmed);
    return false;
  }
  if (st.st_uid != uid) {
    *err = fmt::format("{} belongs to uid {}, not to {} (remove it: anyone may have made it)",
                       trimmed, st.st_uid, uid);
    return false;
  }
  // Ours but open to others: anyone could swap our socket for theirs.
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    *err = fmt::format("{} is writable by others (mode {:04o}; chmod go-w it)", trimmed,
                       st.st_mode & 07777);
    return false;
  }
  if (access(trimmed.c_str(), W_OK | X_OK) < 0) {
    *err = fmt::format("{} is not writable: {}", trimmed, strerror(errno));
    return false;
  }
  return true;
}

std::string ChooseRuntimeDir(const std::vector<std::string>& candidates, bool explicit_dir,
                             const MakeDirFn& make) {
  std::string reasons;
  for (const std::string& dir : candidates) {
    std::string err;
    if (make(dir, &err)) return dir;
    reasons += (reasons.empty() ? "" : "; ") + err;
  }
  Warning("no usable runtime directory ({}); running without control socket and with "
          "in-memory spools ({})",
          reasons,
          explicit_dir ? "fix --runtime-dir or STEWARD_RUNTIME_DIR"
                       : "on a read-only root, mount a tmpfs on /run or set --runtime-dir");
  return "";
}

std::string PrepareRuntimeDir(const Options& o) {
  uid_t uid = geteuid();
  return ChooseRuntimeDir(RuntimeDirCandidates(o, uid), o.runtime_dir.has_value(),
                          [uid](const std::string& dir, std::string* err) {
                            return MakeRuntimeDir(dir, uid, err);
                          });
}

}  // namespace steward
