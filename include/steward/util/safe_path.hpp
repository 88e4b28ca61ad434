// The one way steward opens a path that someone less trusted than steward
// may be able to write (STYLE 13, SPEC "Trust", docs/DESIGN.md "Threat
// model"): a file sink's file and its rotations, an env_file or a secret,
// a configuration volume's destinations, a spool, the runtime directory.
//
// The path is walked one component at a time from "/" (or from a directory
// descriptor), each directory opened O_PATH|O_NOFOLLOW|O_DIRECTORY and
// fstat'd, so no component can be swapped between a check and an open.
// A directory is *trusted* when it and every directory above it can be
// written by no one but root and steward's own user: owner 0 or steward's
// euid, no o+w, no g+w unless the group is 0 (a sticky o+w directory such
// as /tmp is not trusted). The rules:
//   - a symbolic link is followed only where it lies in a trusted directory
//     and is owned by root or steward's user (the kubelet's `..data` links
//     in a ConfigMap or Secret volume are root's); anywhere else it is
//     refused (ELOOP), never followed;
//   - the last component is opened O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC (a FIFO
//     never blocks), lstat'd before and fstat'd after (same inode), and
//     anything but a regular file (or a directory, when asked for) is
//     refused (ENXIO for a FIFO, socket or device; EISDIR; ENOTDIR);
//   - in an untrusted directory a regular file with more than one link is
//     refused (EMLINK): a hard link to a root-only file is not its own;
//   - reads are bounded (EFBIG past the bound).
// openat2(RESOLVE_NO_SYMLINKS) cannot say "follow root's links only", which
// the kubelet's layout needs, so the walk is done by hand on every kernel.
//
// Errors are values: a PathError with the errno and a message that names
// the path and the reason (`/var/log/app/x.log: a symbolic link in a
// directory uid 65534 can write; steward does not follow it`).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "steward/util/fd.hpp"

namespace steward {

struct PathError {
  int err = 0;       // errno-like: ELOOP, ENXIO, EMLINK, EFBIG, or the syscall's
  std::string text;  // "PATH: reason", no fix (callers know the fix for their key)
};

// What to open. flags: O_RDONLY, or O_WRONLY|O_APPEND, or O_RDWR, possibly
// with O_CREAT (and O_EXCL); O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC are added.
struct OpenRequest {
  int flags = 0;
  mode_t mode = 0600;          // for O_CREAT
  bool directory = false;      // open a directory (O_DIRECTORY), not a file
  bool make_parents = false;   // mkdir missing parents (mode parent_mode)
  mode_t parent_mode = 0755;
};

// An open file and what the walk learnt.
struct SafeFile {
  UniqueFd fd;                 // the file (or directory)
  UniqueFd dir;                // its parent directory, O_PATH: renameat/unlinkat/openat beside it
  std::string name;            // the last component, relative to dir
  struct stat st {};           // fstat of fd
  bool dir_trusted = false;    // the parent is trusted (see above)
  bool created = false;        // O_CREAT made it
};

// Opens path (absolute) under the rules above. False with *error set.
bool OpenSafely(const std::string& path, const OpenRequest& req, SafeFile* out, PathError* error);

// Same, relative to an already opened directory (dir from an earlier
// SafeFile; name without '/'): rotations and temporary files beside a file.
// dir_trusted is the parent's trust as the earlier walk found it.
bool OpenBeside(int dir, bool dir_trusted, const std::string& name, const OpenRequest& req,
                SafeFile* out, PathError* error);

// Reads a whole regular file, at most max bytes (EFBIG when larger), under
// the rules above. st (optional) gets its fstat.
bool ReadSafely(const std::string& path, size_t max, std::string* content, PathError* error,
                struct stat* st = nullptr);

// Removes path's last component (never a directory) from its directory,
// reached under the rules above, so a swapped parent cannot make steward
// remove a file elsewhere. A path that does not exist is not an error.
bool UnlinkSafely(const std::string& path, PathError* error);

// Who may write it: empty when the file st (and its directory's trust) is
// writable only by root, steward's own user or allowed_uid (the service's
// user for its env_file; (uid_t)-1 for none), else the reason, e.g.
// "writable by others (mode 0666)" or "owned by uid 1000".
std::string WhoElseCanWrite(const struct stat& st, uid_t allowed_uid);

}  // namespace steward
