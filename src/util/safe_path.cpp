// The one way to open a path someone else can write: a walk one component
// at a time that follows only root's links in root's directories.
#include "steward/util/safe_path.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <deque>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace steward {

namespace {

constexpr int kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

bool TrustedOwner(uid_t uid) { return uid == 0 || uid == geteuid(); }

// Only root and steward's own user can change what is in it.
bool DirTrusted(const struct stat& st) {
  if (!TrustedOwner(st.st_uid)) return false;
  if (st.st_mode & S_IWOTH) return false;
  if ((st.st_mode & S_IWGRP) && st.st_gid != 0) return false;
  return true;
}

// The same, or on a read-only mount, which no one in the container can
// change whatever the modes say (the kubelet mounts a ConfigMap read-only
// with its directory at 0777).
bool DirTrusted(const struct stat& st, int fd) {
  if (DirTrusted(st)) return true;
  struct statvfs vfs;
  return fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

std::string Mode(const struct stat& st) { return fmt::format("{:04o}", st.st_mode & 07777); }

std::string WhoWrites(const struct stat& dir) {
  if (!TrustedOwner(dir.st_uid)) return fmt::format("uid {} owns", dir.st_uid);
  if (dir.st_mode & S_IWOTH) return fmt::format("everyone can write (mode {})", Mode(dir));
  return fmt::format("group {} can write (mode {})", dir.st_gid, Mode(dir));
}

const char* TypeName(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISREG(m)) return "a regular file";
  return "of an unknown type";
}

bool Fail(PathError* e, int err, std::string text) {
  e->err = err;
  e->text = std::move(text);
  return false;
}

// "PATH: strerror" for an open, "PATH: call: strerror" for the rest.
bool SysFail(PathError* e, const char* call, const std::string& path, int err) {
  if (strcmp(call, "open") == 0) return Fail(e, err, fmt::format("{}: {}", path, strerror(err)));
  return Fail(e, err, fmt::format("{}: {}: {}", path, call, strerror(err)));
}

// One directory of the walk: its descriptor (O_PATH), its stat and path.
// secure: no one but root and steward's user can replace it (every
// directory above it is trusted, or it is theirs in a sticky directory that
// is secure, as /tmp/steward-0 in /tmp); trusted: secure, and no one else
// can change what is in it either. why: the reason it is not trusted.
struct Dir {
  UniqueFd fd;
  bool trusted;
  struct stat st;
  std::string path;
  bool secure = true;
  std::string why;
};

// Whether an entry owned by uid in dir can be replaced by someone else.
bool EntrySecure(const Dir& dir, uid_t uid) {
  return dir.trusted || (dir.secure && (dir.st.st_mode & S_ISVTX) && TrustedOwner(uid));
}

// Fills next's secure/trusted/why from its parent and its own stat.
void Judge(const Dir& parent, Dir* next) {
  next->secure = EntrySecure(parent, next->st.st_uid);
  next->trusted = next->secure && DirTrusted(next->st, next->fd.get());
  if (next->trusted) return;
  next->why = next->secure ? fmt::format("{}, which {}", next->path, WhoWrites(next->st)) : parent.why;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

void Split(const std::string& path, std::deque<std::string>* out, bool front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (front) {
    out->insert(out->begin(), parts.begin(), parts.end());
  } else {
    out->insert(out->end(), parts.begin(), parts.end());
  }
}

bool OpenRoot(std::vector<Dir>* stack, PathError* e) {
  stack->clear();
  Dir root{UniqueFd(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)), false, {}, "/"};
  if (!root.fd || fstat(root.fd.get(), &root.st) != 0) return SysFail(e, "open", "/", errno);
  root.trusted = DirTrusted(root.st, root.fd.get());
  if (!root.trusted) root.why = fmt::format("/, which {}", WhoWrites(root.st));
  stack->push_back(std::move(root));
  return true;
}

// Opens the last component in the directory on top of the stack.
bool OpenLast(const Dir& dir, const std::string& name, bool existed, const struct stat& before,
              const OpenRequest& req, SafeFile* out, PathError* e) {
  std::string path = Join(dir.path, name);
  if (existed && (req.flags & O_CREAT) && (req.flags & O_EXCL)) {
    return Fail(e, EEXIST, fmt::format("{}: already exists", path));
  }
  // What is there already is checked before it is opened: a device is never
  // opened at all (an open can have effects). The fstat below catches a swap.
  if (existed && !(req.directory ? S_ISDIR(before.st_mode) : S_ISREG(before.st_mode))) {
    int err = S_ISDIR(before.st_mode) ? EISDIR : req.directory ? ENOTDIR : ENXIO;
    return Fail(e, err, fmt::format("{}: is {}, not a {}", path, TypeName(before.st_mode),
                                    req.directory ? "directory" : "regular file"));
  }
  int flags = req.flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  if (req.directory) {
    flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    if (!existed && (req.flags & O_CREAT) && mkdirat(dir.fd.get(), name.c_str(), req.mode) != 0 &&
        errno != EEXIST) {
      return SysFail(e, "mkdir", path, errno);
    }
  }
  UniqueFd fd(openat(dir.fd.get(), name.c_str(), flags, req.mode));
  if (!fd) {
    int err = errno;
    if (err == ELOOP) {
      return Fail(e, ELOOP, fmt::format("{}: is a symbolic link; steward does not follow it here", path));
    }
    if (err == ENXIO) return Fail(e, ENXIO, fmt::format("{}: is a FIFO or socket, not a regular file", path));
    return SysFail(e, "open", path, err);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return SysFail(e, "fstat", path, errno);
  if (existed && (st.st_dev != before.st_dev || st.st_ino != before.st_ino)) {
    return Fail(e, EAGAIN, fmt::format("{}: was replaced while steward opened it", path));
  }
  if (req.directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    int err = S_ISDIR(st.st_mode) ? EISDIR : req.directory ? ENOTDIR : ENXIO;
    return Fail(e, err, fmt::format("{}: is {}, not a {}", path, TypeName(st.st_mode),
                                    req.directory ? "directory" : "regular file"));
  }
  if (!req.directory && !dir.trusted && st.st_nlink > 1) {
    return Fail(e, EMLINK,
                fmt::format("{}: has {} hard links, in {}; steward does not use it", path,
                            st.st_nlink, dir.why));
  }
  out->fd = std::move(fd);
  out->dir.Reset(fcntl(dir.fd.get(), F_DUPFD_CLOEXEC, 0));
  out->name = name;
  out->st = st;
  out->dir_trusted = dir.trusted;
  out->created = !existed;
  return true;
}

// The walk. stack holds the directories from the start down to the
// current one; names are the components still to go.
bool Walk(std::vector<Dir>* stack, std::deque<std::string> names, const std::string& shown,
          const OpenRequest& req, SafeFile* out, PathError* e) {
  int links = 0;
  if (names.empty()) return Fail(e, EINVAL, fmt::format("{}: names no file", shown));
  while (!names.empty()) {
    std::string name = std::move(names.front());
    names.pop_front();
    bool last = names.empty();
    Dir& top = stack->back();
    if (name == ".") {
      if (last) return Fail(e, EINVAL, fmt::format("{}: names no file", shown));
      continue;
    }
    if (name == "..") {
      if (last) return Fail(e, EINVAL, fmt::format("{}: names no file", shown));
      if (stack->size() > 1) stack->pop_back();
      continue;
    }
    std::string path = Join(top.path, name);
    struct stat st;
    bool exists = fstatat(top.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) return SysFail(e, "stat", path, errno);
    if (exists && S_ISLNK(st.st_mode)) {
      if (!EntrySecure(top, st.st_uid) || !TrustedOwner(st.st_uid)) {
        std::string why = top.trusted ? fmt::format("owned by uid {}", st.st_uid)
                                      : fmt::format("in {}", top.why);
        return Fail(e, ELOOP,
                    fmt::format("{}: is a symbolic link {}; steward does not follow it", path, why));
      }
      if (++links > kMaxLinks) return Fail(e, ELOOP, fmt::format("{}: too many symbolic links", shown));
      char target[PATH_MAX];
      ssize_t n = readlinkat(top.fd.get(), name.c_str(), target, sizeof target);
      if (n < 0) return SysFail(e, "readlink", path, errno);
      if (size_t(n) >= sizeof target || n == 0) {
        return Fail(e, ENAMETOOLONG, fmt::format("{}: symbolic link target too long", path));
      }
      std::string to(target, size_t(n));
      if (to[0] == '/' && !OpenRoot(stack, e)) return false;
      size_t before = names.size();
      Split(to, &names, true);
      if (names.size() == before) {
        // A link to "/" (or to "." and the like): the directory it names.
        if (last) return Fail(e, EISDIR, fmt::format("{}: names a directory", path));
      }
      continue;
    }
    if (last) return OpenLast(top, name, exists, st, req, out, e);
    if (!exists) {
      if (!req.make_parents) return SysFail(e, "open", shown, ENOENT);  // the path asked for
      if (mkdirat(top.fd.get(), name.c_str(), req.parent_mode) != 0 && errno != EEXIST) {
        return SysFail(e, "mkdir", path, errno);
      }
    } else if (!S_ISDIR(st.st_mode)) {
      return Fail(e, ENOTDIR, fmt::format("{}: is {}, not a directory", path, TypeName(st.st_mode)));
    }
    Dir next{UniqueFd(openat(top.fd.get(), name.c_str(),
                             O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)),
             false, {}, path};
    if (!next.fd) {
      int err = errno;
      // A link or a file put there after the stat: refused, not followed.
      if (err == ENOTDIR || err == ELOOP) {
        return Fail(e, ELOOP, fmt::format("{}: was replaced while steward opened it", path));
      }
      return SysFail(e, "open", path, err);
    }
    if (fstat(next.fd.get(), &next.st) != 0) return SysFail(e, "fstat", path, errno);
    if (!S_ISDIR(next.st.st_mode)) {
      return Fail(e, ENOTDIR, fmt::format("{}: is {}, not a directory", path, TypeName(next.st.st_mode)));
    }
    Judge(top, &next);
    stack->push_back(std::move(next));
  }
  return Fail(e, EINVAL, fmt::format("{}: names no file", shown));
}

}  // namespace

bool OpenSafely(const std::string& path, const OpenRequest& req, SafeFile* out, PathError* error) {
  if (path.empty() || path[0] != '/') {
    return Fail(error, EINVAL, fmt::format("{}: not an absolute path", path));
  }
  std::vector<Dir> stack;
  if (!OpenRoot(&stack, error)) return false;
  std::deque<std::string> names;
  Split(path, &names, false);
  return Walk(&stack, std::move(names), path, req, out, error);
}

bool OpenBeside(int dir, bool dir_trusted, const std::string& name, const OpenRequest& req,
                SafeFile* out, PathError* error) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return Fail(error, EINVAL, fmt::format("{}: not a file name", name));
  }
  std::vector<Dir> stack;
  Dir d{UniqueFd(fcntl(dir, F_DUPFD_CLOEXEC, 0)), dir_trusted, {}, "."};
  if (!d.fd || fstat(d.fd.get(), &d.st) != 0) return SysFail(error, "fstat", name, errno);
  // The path for messages: the directory's own, where /proc can say it.
  char buf[PATH_MAX];
  ssize_t n = readlink(fmt::format("/proc/self/fd/{}", dir).c_str(), buf, sizeof buf - 1);
  if (n > 0) d.path.assign(buf, size_t(n));
  d.trusted = dir_trusted && DirTrusted(d.st, d.fd.get());
  d.secure = dir_trusted;
  if (!d.trusted) d.why = fmt::format("{}, which {}", d.path, WhoWrites(d.st));
  stack.push_back(std::move(d));
  return Walk(&stack, std::deque<std::string>{name}, name, req, out, error);
}

bool ReadSafely(const std::string& path, size_t max, std::string* content, PathError* error,
                struct stat* st) {
  SafeFile f;
  if (!OpenSafely(path, OpenRequest{O_RDONLY}, &f, error)) return false;
  if (st) *st = f.st;
  if (f.st.st_size > 0 && uint64_t(f.st.st_size) > max) {
    return Fail(error, EFBIG, fmt::format("{}: is {} bytes, more than the {} steward reads", path,
                                          uint64_t(f.st.st_size), max));
  }
  content->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(f.fd.get(), buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return SysFail(error, "read", path, errno);
    }
    if (content->size() + size_t(n) > max) {
      return Fail(error, EFBIG, fmt::format("{}: is more than the {} bytes steward reads", path, max));
    }
    content->append(buf, size_t(n));
  }
}

bool UnlinkSafely(const std::string& path, PathError* error) {
  size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash + 1 >= path.size()) {
    return Fail(error, EINVAL, fmt::format("{}: not an absolute path to a file", path));
  }
  std::string name = path.substr(slash + 1);
  if (name == "." || name == "..") return Fail(error, EINVAL, fmt::format("{}: names no file", path));
  SafeFile dir;
  OpenRequest req{O_RDONLY};
  req.directory = true;
  if (slash == 0) {
    dir.fd.Reset(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.fd) return SysFail(error, "open", "/", errno);
  } else if (!OpenSafely(path.substr(0, slash), req, &dir, error)) {
    return error->err == ENOENT;
  }
  if (unlinkat(dir.fd.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
    return SysFail(error, "unlink", path, errno);
  }
  return true;
}

std::string WhoElseCanWrite(const struct stat& st, uid_t allowed_uid) {
  if (!TrustedOwner(st.st_uid) && st.st_uid != allowed_uid) {
    return fmt::format("owned by uid {}", st.st_uid);
  }
  if (st.st_mode & S_IWOTH) return fmt::format("writable by others (mode {})", Mode(st));
  if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
    return fmt::format("writable by group {} (mode {})", st.st_gid, Mode(st));
  }
  return "";
}

}  // namespace steward
