// The configuration volume (SPEC §7): reading and rendering it, nothing
// written (installing is config_volume_install.cpp).
#include "steward/config/config_volume.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include <fmt/format.h>

#include "steward/util/diag.hpp"
#include "steward/util/safe_path.hpp"

namespace steward {

namespace {

constexpr std::string_view kTemplateSuffix = ".tmpl";
// A ConfigMap or Secret holds 1 MiB in all; a plain volume's files are
// configuration too. The bound keeps a link to /dev/zero or a huge file
// from growing PID 1.
constexpr size_t kMaxFile = 16 << 20;
constexpr int kMaxLinks = 40;  // as the kernel's own bound on a path's links
constexpr int kMaxDepth = 64;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::deque<std::string> Split(const std::string& path) {
  std::deque<std::string> parts;
  size_t at = 0;
  while (at <= path.size()) {
    size_t slash = std::min(path.find('/', at), path.size());
    if (slash > at) parts.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out;
}

// On a read-only mount nobody can write, whatever the mode says: the
// kubelet mounts ConfigMap and Secret volumes read-only with mode 1777.
bool ReadOnlyMount(int fd) {
  struct statvfs s;
  return fstatvfs(fd, &s) == 0 && (s.f_flag & ST_RDONLY);
}

// Walks the volume and renders every file into memory, so that nothing is
// installed before the whole volume (and the configuration it gives) has
// been checked.
struct Walker {
  const std::string& base;  // the volume, without trailing '/'
  const std::string& root;
  const EnvMap& env;
  RenderedVolume* out;
  std::set<std::string> open_dirs;  // resolved directories being walked: a link loop

  void Fail(std::string text) { out->errors.push_back(std::move(text)); }

  // Follows the links of rel (a path below the volume) the way the volume's
  // layout needs and no further: a relative link, or an absolute one into
  // the volume, is followed by steward itself as long as it stays inside
  // the volume; anything else is refused. The result has no link left (as
  // of now), so the open that follows walks no link that a sidecar could
  // have aimed out of the volume (and OpenSafely refuses one swapped in
  // later where someone else can write).
  bool Resolve(const std::string& rel, std::string* resolved, std::string* why) {
    std::vector<std::string> done;
    std::deque<std::string> todo = Split(rel);
    int links = 0;
    while (!todo.empty()) {
      std::string c = std::move(todo.front());
      todo.pop_front();
      if (c == ".") continue;
      if (c == "..") {
        if (done.empty()) {
          *why = "a link that leaves the volume is not followed; copy the file itself into "
                 "the volume";
          return false;
        }
        done.pop_back();
        continue;
      }
      std::string path = base + Join(done) + "/" + c;
      struct stat st;
      if (lstat(path.c_str(), &st) < 0) {
        *why = SysError("lstat", path, errno);
        return false;
      }
      if (!S_ISLNK(st.st_mode)) {
        done.push_back(std::move(c));
        continue;
      }
      char target[PATH_MAX];
      ssize_t n = readlink(path.c_str(), target, sizeof target);
      if (n <= 0 || size_t(n) >= sizeof target || ++links > kMaxLinks) {
        *why = n <= 0 ? SysError("readlink", path, errno) : "too many links, or too long a one";
        return false;
      }
      std::string t(target, size_t(n));
      if (t[0] == '/') {
        if (t.compare(0, base.size() + 1, base + "/") != 0) {
          *why = fmt::format("a link out of the volume (to {}) is not followed; copy the file "
                             "itself into the volume", t);
          return false;
        }
        done.clear();
        t.erase(0, base.size() + 1);
      }
      std::deque<std::string> more = Split(t);
      todo.insert(todo.begin(), more.begin(), more.end());
    }
    *resolved = Join(done);
    return true;
  }

  // The mode of something in the volume that others can write, on a mount
  // they can write to: anyone could make steward install a root file.
  bool WritableByOthers(const std::string& shown, const struct stat& st, bool read_only,
                        const char* what) {
    if (!(st.st_mode & S_IWOTH) || read_only) return false;
    Fail(fmt::format("{}: {} writable by others (mode {:04o}): anyone in the container could "
                     "make steward install a file as root (chmod o-w {}, or mount the volume "
                     "read-only)", shown, what, st.st_mode & 07777, shown));
    return true;
  }

  void File(const std::string& shown, const std::string& resolved, const std::string& rel,
            bool read_only) {
    std::string content;
    PathError perr;
    struct stat st;
    std::string real = base + resolved;
    if (!ReadSafely(real, kMaxFile, &content, &perr, &st)) {
      Fail(real == shown ? perr.text : fmt::format("{}: {}", shown, perr.text));
      return;
    }
    if (WritableByOthers(shown, st, read_only, "a file")) return;
    std::string dest_rel = rel;
    if (EndsWith(rel, kTemplateSuffix)) {
      dest_rel.resize(rel.size() - kTemplateSuffix.size());
      std::string rendered, err;
      if (!Interpolate(content, env, &rendered, &err)) {
        Fail(fmt::format("{}: {}", shown, err));
        return;
      }
      content = std::move(rendered);
    }
    VolumeFile f;
    f.source = shown;
    f.dest = (root == "/" ? "" : root) + dest_rel;
    f.content = std::move(content);
    f.mode = st.st_mode & 07777 & ~mode_t(S_ISUID | S_ISGID);
    f.stripped = (st.st_mode & (S_ISUID | S_ISGID)) != 0;
    out->files.push_back(std::move(f));
  }

  // The names in a directory of the volume, sorted (a stable order for the
  // log), with whether it lies on a read-only mount. Nothing when it cannot
  // be opened or others can write it.
  void ListDir(const std::string& shown, const std::string& real, std::vector<std::string>* names,
               bool* read_only) {
    SafeFile d;
    PathError perr;
    OpenRequest req;
    req.flags = O_RDONLY;
    req.directory = true;
    if (!OpenSafely(real.empty() ? "/" : real, req, &d, &perr)) {
      Fail(real == shown ? perr.text : fmt::format("{}: {}", shown, perr.text));
      return;
    }
    *read_only = ReadOnlyMount(d.fd.get());
    if (WritableByOthers(shown, d.st, *read_only, "a directory")) return;
    DIR* dir = fdopendir(d.fd.get());
    if (!dir) {
      Fail(SysError("fdopendir", shown, errno));
      return;
    }
    d.fd.Release();  // the DIR owns it now
    while (struct dirent* e = readdir(dir)) {
      // "..data", "..2026_12_01_20_00_00.123": the kubelet's own entries,
      // reached through the links that point into them.
      if (strncmp(e->d_name, "..", 2) == 0 || strcmp(e->d_name, ".") == 0) continue;
      names->emplace_back(e->d_name);
    }
    closedir(dir);
    std::sort(names->begin(), names->end());
  }

  // shown: the directory as the user names it; resolved: the same below
  // the volume, links followed; rel: where it goes below root.
  void Dir(const std::string& shown, const std::string& resolved, const std::string& rel,
           int depth) {
    if (depth > kMaxDepth || !open_dirs.insert(resolved).second) {
      Fail(fmt::format("{}: directories nested too deeply, or a link to a directory above it",
                       shown));
      return;
    }
    std::vector<std::string> names;
    bool read_only = false;
    ListDir(shown, base + resolved, &names, &read_only);
    for (const std::string& name : names)
      Entry(shown + "/" + name, resolved + "/" + name, rel + "/" + name, read_only, depth);
    open_dirs.erase(resolved);
  }

  void Entry(const std::string& shown, const std::string& path, const std::string& rel,
             bool read_only, int depth) {
    std::string resolved, why;
    if (!Resolve(path, &resolved, &why)) {
      Fail(fmt::format("{}: {}", shown, why));
      return;
    }
    struct stat st;
    if (lstat((base + resolved).c_str(), &st) < 0) {
      Fail(SysError("lstat", shown, errno));
    } else if (S_ISDIR(st.st_mode)) {
      Dir(shown, resolved, rel, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      File(shown, resolved, rel, read_only);
    } else {
      Fail(fmt::format("{}: not a regular file (special files are not installed; copy the "
                       "file itself into the volume)", shown));
    }
  }
};

}  // namespace

std::string ConfigVolumePath(const GlobalConfig& global) {
  const char* env = getenv("STEWARD_CONFIG_VOLUME");
  return env && *env ? env : global.config_volume;
}

RenderedVolume RenderConfigVolume(const std::string& volume, const std::string& root,
                                  const EnvMap& env) {
  RenderedVolume out;
  out.volume = volume;
  struct stat st;
  const char* problem = stat(volume.c_str(), &st) < 0 ? strerror(errno)
                        : !S_ISDIR(st.st_mode)       ? "not a directory"
                                                     : nullptr;
  if (problem) {
    out.errors.push_back(fmt::format(
        "config volume {}: {} (mount it, or unset config_volume / STEWARD_CONFIG_VOLUME)", volume,
        problem));
    return out;
  }
  std::string base = volume;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base == "/") base.clear();
  Walker walker{base, root, env, &out, {}};
  walker.Dir(base.empty() ? "/" : base, "", "", 0);
  std::map<std::string, std::string> sources;  // destination -> the first file for it
  for (const VolumeFile& f : out.files) {
    auto [it, fresh] = sources.emplace(f.dest, f.source);
    if (!fresh)
      out.errors.push_back(fmt::format("{}: {} installs {} too; keep one of them", f.source,
                                       it->second, f.dest));
  }
  if (!out.errors.empty()) out.files.clear();
  return out;
}

bool CheckVolumeConfig(const RenderedVolume& v, LoadRequest req, std::vector<std::string>* errors) {
  if (!v.errors.empty()) {
    errors->insert(errors->end(), v.errors.begin(), v.errors.end());
    return false;
  }
  for (const VolumeFile& f : v.files) req.overlay[f.dest] = {f.content, f.mode, f.source};
  Config would;
  return LoadConfig(req, &would, errors);
}

VolumeResult InstallConfigVolume(const std::string& volume, const std::string& root,
                                 const EnvMap& env) {
  RenderedVolume v = RenderConfigVolume(volume, root, env);
  if (!v.errors.empty()) {
    VolumeResult r;
    r.errors = std::move(v.errors);
    return r;
  }
  return InstallRendered(v);
}

}  // namespace steward
