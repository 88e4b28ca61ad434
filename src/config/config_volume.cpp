// The configuration volume (SPEC §7): templates rendered and installed over the root.
#include "steward/config/config_volume.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

struct Walker {
  const std::string& root;
  const EnvMap& env;
  VolumeResult* result;

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
      if (!Interpolate(content, env, &out, &err)) {
        result->errors.push_back(fmt::format("{}: {}", src, err));
        return;
      }
      content = std::move(out);
    }
    std::string dest = (root == "/" ? "" : root) + dest_rel;
    if (!InstallFile(dest, content, st.st_mode, &err)) {
      result->errors.push_back(fmt::format("{}: {}", src, err));
      return;
    }
    result->installed.push_back(dest);
  }

  void Dir(const std::string& src, const std::string& rel) {
    DIR* d = opendir(src.c_str());
    if (!d) {
      result->errors.push_back(SysError("opendir", src, errno));
      return;
    }
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    }
    closedir(d);
    std::sort(names.begin(), names.end());  // a stable order for the log
    for (const std::string& name : names) {
      std::string path = src + "/" + name;
      struct stat st;
      if (lstat(path.c_str(), &st) < 0) {
        result->errors.push_back(SysError("lstat", path, errno));
      } else if (S_ISDIR(st.st_mode)) {
        Dir(path, rel + "/" + name);
      } else if (S_ISREG(st.st_mode)) {
        File(path, rel + "/" + name, st);
      } else {
        result->errors.push_back(fmt::format(
            "{}: not a regular file (links and special files are not installed; copy the file "
            "itself into the volume)", path));
      }
    }
  }
};

}  // namespace

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
  Walker{root, env, &result}.Dir(base, "");
  return result;
}

}  // namespace steward
