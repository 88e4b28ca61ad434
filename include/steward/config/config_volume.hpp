// The configuration volume (SPEC §7): a tree, e.g. /config, installed over
// the image's root before anything starts, so that one image serves every
// environment. /config/etc/nginx/nginx.conf replaces /etc/nginx/nginx.conf;
// a file ending in .tmpl is interpolated like a service file (${VAR},
// ${VAR:-default}, $$) and installed without the suffix.
//
// In two steps, so that a volume is validated whole before any of it is
// installed: RenderConfigVolume reads and renders every file into memory
// (nothing written); the caller validates the configuration those files
// would give (LoadRequest::overlay); InstallRendered then writes them.
//
// The volume may be writable by someone less trusted than steward (a
// sidecar, a shared emptyDir) and the destinations may lie in directories a
// service owns, so (SPEC "Trust", util/safe_path.hpp):
//   - volume files are read with ReadSafely; a link inside the volume is
//     followed only to a place inside the volume (resolved by steward, the
//     kubelet's `..data` layout), never out of it;
//   - a volume file or directory writable by others (on a writable mount)
//     is refused: anyone could make steward install a root file;
//   - setuid and setgid bits are stripped (VolumeFile::stripped says so);
//   - destination directories are walked without following links where a
//     service could have put them, each file written to an unpredictable
//     name created O_EXCL beside its destination, then renamed over it, so
//     a reader never sees half a file and nothing can redirect the write.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/config/interpolate.hpp"

namespace steward {

// One file of the volume, read and rendered, not yet installed.
struct VolumeFile {
  std::string source;   // the file in the volume, as the user named it
  std::string dest;     // where it goes
  std::string content;  // rendered
  mode_t mode = 0644;   // permission bits to install (setuid/setgid removed)
  bool stripped = false;  // the source had setuid or setgid
};

struct RenderedVolume {
  std::string volume;              // the volume's path
  std::vector<VolumeFile> files;   // in tree order
  std::vector<std::string> errors; // "SOURCE: message", every one; files is then incomplete
};

struct VolumeResult {
  std::vector<std::string> installed;  // destination paths written, in tree order
  std::vector<std::string> unchanged;  // destinations that already held the same bytes
  std::vector<std::string> warnings;   // setuid/setgid stripped, one per file installed
  std::vector<std::string> errors;     // one per file that failed; then nothing was installed
};

// The volume in use: STEWARD_CONFIG_VOLUME when set and not empty, else
// config_volume of the global file; "" for none.
std::string ConfigVolumePath(const GlobalConfig& global);

// Reads every regular file below `volume` and renders the templates, for
// installation at the same path below `root` ("/" in production). Every
// problem is reported (a template with an unset variable, an unreadable
// file, a special file, a link that leaves the volume, something writable
// by others). Entries named `..*` are skipped: the kubelet's own, reached
// through the links that point into them.
RenderedVolume RenderConfigVolume(const std::string& volume, const std::string& root,
                                  const EnvMap& env);

// Reads and validates the configuration the volume would give: req's
// services directory and global file with the volume's files over them
// (LoadRequest::overlay), nothing installed. False with every error, the
// volume's files named as the volume's (`/config/etc/services/app.toml:3:1:
// ...`), when the volume would install a configuration steward refuses.
bool CheckVolumeConfig(const RenderedVolume& v, LoadRequest req, std::vector<std::string>* errors);

// True when every file already holds its content and mode: installing the
// volume would change nothing (a watch event that changed nothing).
bool RenderedVolumeInstalled(const RenderedVolume& v);

// Installs what RenderConfigVolume gave (nothing when it has errors). A
// destination that already holds the same bytes and mode is not rewritten.
// Every destination directory is opened and every temporary file written
// before the first rename: a refused or unwritable destination installs
// nothing. Only a failing rename (rare: a directory at a destination is
// caught before) can leave part of a volume installed.
VolumeResult InstallRendered(const RenderedVolume& v);

// Both, for callers that need no validation in between (tests, tools).
VolumeResult InstallConfigVolume(const std::string& volume, const std::string& root,
                                 const EnvMap& env);

}  // namespace steward
