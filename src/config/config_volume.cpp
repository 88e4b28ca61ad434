// The configuration volume (SPEC §7): templates rendered and installed over the root.
#include "steward/config/config_volume.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/diag.hpp"
#include "steward/config/env_file.hpp"
#include "steward/util/fd.hpp"

namespace steward {

namespace {

constexpr std::string_view kTemplateSuffix = ".tmpl";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// mkdir -p for the parent directories of path.
bool MakeParents(const std::string& path, std::string* err) {
  for (size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
    std::string dir = path.substr(0, at);
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
      *err = SysError("mkdir", dir, errno);
      return false;
    }
  }
  return true;
}

// Writes content to a temporary file beside dest, then renames it over
// dest: atomic for every reader of dest.
bool InstallFile(const std::string& dest, std::string_view content, mode_t mode,
                 std::string* err) {
  if (!MakeParents(dest, err)) return false;
  std::string tmp = fmt::format("{}.steward-{}.tmp", dest, getpid());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    *err = SysError("open", tmp, errno);
    return false;
  }
  bool ok = WriteAll(fd.get(), content) && fchmod(fd.get(), mode & 07777) == 0;
  int saved = errno;
  if (!ok || close(fd.Release()) < 0 || rename(tmp.c_str(), dest.c_str()) < 0) {
    *err = SysError(ok ? "rename" : "write", dest, ok ? errno : saved);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

// One file of the volume, read and rendered, not yet installed.
struct Pending {
  std::string dest;
  std::string content;
  mode_t mode;
};

// True when dest already holds exactly content with mode: installing it
// again would only give readers a new inode (and wake their own watchers).
bool AlreadyInstalled(const std::string& dest, const std::string& content, mode_t mode) {
  struct stat st;
  if (stat(dest.c_str(), &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != (mode & 07777) ||
      size_t(st.st_size) != content.size())
    return false;
  std::string now, err;
  return ReadFile(dest, &now, &err) && now == content;
}

// Walks the volume and renders every file into memory first, so that one
// bad file (a template that fails, a link out of the volume) installs
// nothing at all (SPEC §7).
struct Walker {
  const std::string& volume;  // without trailing '/'
  const std::string& root;
  const EnvMap& env;
  VolumeResult* result;
  std::vector<Pending> pending;
  int depth = 0;

  void File(const std::string& src, const std::string& rel, const struct stat& st) {
    std::string content, err;
    if (!ReadFile(src, &content, &err)) {
      result->errors.push_back(err);
      return;
    }
    std::string dest_rel = rel;
    if (EndsWith(rel, kTemplateSuffix)) {
      dest_rel.resize(rel.size() - kTemplateSuffix.size());
      std::string out;
      InterpolateFailure why;
      if (!Interpolate(content, env, &out, &err, &why)) {
        size_t line, column;
        LineColumn(content, why.offset, &line, &column);
        result->errors.push_back(fmt::format("{}:{}:{}: {}", src, line, column, err));
        return;
      }
      content = std::move(out);
    }
    pending.push_back({(root == "/" ? "" : root) + dest_rel, std::move(content), st.st_mode});
  }

  // A symbolic link is followed only when it stays inside the volume: that
  // is how Kubernetes lays out ConfigMap and Secret volumes (every entry a
  // link into ..data, itself a link to a timestamped directory). A link
  // that leaves the volume would install whatever it points at.
  bool Inside(const std::string& path) {
    char* real = realpath(path.c_str(), nullptr);
    if (!real) return false;
    std::string r = real;
    free(real);
    char* vreal = realpath(volume.c_str(), nullptr);
    std::string v = vreal ? vreal : volume;
    free(vreal);
    return r.size() > v.size() && r.compare(0, v.size(), v) == 0 && r[v.size()] == '/';
  }

  void Dir(const std::string& src, const std::string& rel) {
    if (++depth > 64) {  // a loop of links inside the volume, or a hostile tree
      result->errors.push_back(fmt::format("{}: directories nested too deeply", src));
      --depth;
      return;
    }
    DIR* d = opendir(src.c_str());
    if (!d) {
      result->errors.push_back(SysError("opendir", src, errno));
      --depth;
      return;
    }
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      // "..data", "..2026_12_01_20_00_00.123": the kubelet's own entries,
      // reached through the links that point into them.
      if (strncmp(e->d_name, "..", 2) == 0 || strcmp(e->d_name, ".") == 0) continue;
      names.emplace_back(e->d_name);
    }
    closedir(d);
    std::sort(names.begin(), names.end());  // a stable order for the log
    for (const std::string& name : names) {
      std::string path = src + "/" + name;
      struct stat st;
      if (lstat(path.c_str(), &st) < 0) {
        result->errors.push_back(SysError("lstat", path, errno));
        continue;
      }
      if (S_ISLNK(st.st_mode) && Inside(path) && stat(path.c_str(), &st) < 0) {
        result->errors.push_back(SysError("stat", path, errno));
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        Dir(path, rel + "/" + name);
      } else if (S_ISREG(st.st_mode)) {
        File(path, rel + "/" + name, st);
      } else {
        result->errors.push_back(fmt::format(
            "{}: not a regular file (links out of the volume and special files are not "
            "installed; copy the file itself into the volume)", path));
      }
    }
    --depth;
  }
};

}  // namespace

std::string ConfigVolumePath(const GlobalConfig& global) {
  const char* env = getenv("STEWARD_CONFIG_VOLUME");
  return env && *env ? env : global.config_volume;
}

VolumeResult InstallConfigVolume(const std::string& volume, const std::string& root,
                                 const EnvMap& env) {
  VolumeResult result;
  struct stat st;
  const char* problem = stat(volume.c_str(), &st) < 0 ? strerror(errno)
                        : !S_ISDIR(st.st_mode)       ? "not a directory"
                                                     : nullptr;
  if (problem) {
    result.errors.push_back(fmt::format(
        "config volume {}: {} (mount it, or unset config_volume / STEWARD_CONFIG_VOLUME)", volume,
        problem));
    return result;
  }
  std::string base = volume;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  Walker walker{base, root, env, &result};
  walker.Dir(base, "");
  if (!result.errors.empty()) return result;  // all or nothing
  for (const Pending& p : walker.pending) {
    if (AlreadyInstalled(p.dest, p.content, p.mode)) {
      result.unchanged.push_back(p.dest);
      continue;
    }
    std::string err;
    if (!InstallFile(p.dest, p.content, p.mode, &err)) {
      result.errors.push_back(fmt::format("{}: {}", p.dest, err));
      continue;
    }
    result.installed.push_back(p.dest);
  }
  return result;
}

}  // namespace steward
