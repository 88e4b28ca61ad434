// Resolving where things are: the services directory, the global file and
// the runtime directory (SPEC §1 defaults), from options and the filesystem.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "steward/config/options.hpp"

namespace steward {

// The services directory and why it was chosen (SPEC §1): --services or
// STEWARD_SERVICES (why is ""), else /etc/services when it is a directory,
// else /etc/services.d, with the reason steward says at start and in --check.
struct ServicesDirChoice {
  std::string dir;
  std::string why;  // "" when given explicitly
};
enum class PathKind { kMissing, kDirectory, kOther };
using PathKindFn = std::function<PathKind(const std::string& path)>;
ServicesDirChoice ChooseServicesDir(const Options& o, const PathKindFn& kind);
// The same on the real filesystem (stat follows links, as the scan does).
ServicesDirChoice ResolveServicesDir(const Options& o);

// --config, else /etc/steward.toml when it exists, else "".
std::string ResolveConfigFile(const Options& o);

// The runtime directories to try, in order: --runtime-dir alone when given,
// else /run/steward then /tmp/steward-UID.
std::vector<std::string> RuntimeDirCandidates(const Options& o, uid_t uid);

// `mkdir -p PATH` with mode 0755 for what it creates, then checks that PATH
// is a directory (not a symlink) owned by `uid` that we can write to. A
// FROM scratch image has no /run, and a read-only root none to make: false
// with *err naming the path and the reason.
bool MakeRuntimeDir(const std::string& path, uid_t uid, std::string* err);

// The first candidate `make` accepts; "" (with one warning naming each
// failure and the consequence) when none does, e.g. on a read-only root.
using MakeDirFn = std::function<bool(const std::string& path, std::string* err)>;
std::string ChooseRuntimeDir(const std::vector<std::string>& candidates, bool explicit_dir,
                             const MakeDirFn& make);

// Creates and returns the runtime directory (the functions above on the
// real filesystem, as the effective user).
std::string PrepareRuntimeDir(const Options& o);

}  // namespace steward
