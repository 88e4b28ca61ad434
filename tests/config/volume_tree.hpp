// A temporary tree for the configuration volume's tests (config_volume*_test.cpp).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "steward/config/env_file.hpp"
#include "temp_dir.hpp"

namespace steward::volume_test {

class Tree {
 public:
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& content, mode_t mode = 0644) {
    std::string p = path_ + "/" + rel;
    for (size_t at = p.find('/', path_.size() + 1); at != std::string::npos; at = p.find('/', at + 1))
      mkdir(p.substr(0, at).c_str(), 0755);
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    (void)!write(fd, content.data(), content.size());
    close(fd);
    chmod(p.c_str(), mode);
  }
  std::string Read(const std::string& rel) const {
    std::string content, err;
    ReadFile(path_ + "/" + rel, &content, &err);
    return content;
  }
  mode_t Mode(const std::string& rel) const {
    struct stat st;
    return stat((path_ + "/" + rel).c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  }

 private:
  testing::TempDir dir_{"volume"};
  std::string path_ = dir_.path();
};

constexpr uid_t kNobody = 65534;

inline bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// The names of every file created in dir while fn runs.
inline std::vector<std::string> CreatedIn(const std::string& dir, const std::function<void()>& fn) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  EXPECT_LE(0, inotify_add_watch(fd, dir.c_str(), IN_CREATE));
  fn();
  std::vector<std::string> names;
  alignas(struct inotify_event) char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      if (ev->len) names.emplace_back(ev->name);
      p += sizeof(struct inotify_event) + ev->len;
    }
  }
  close(fd);
  return names;
}

inline std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = d ? readdir(d) : nullptr) {
    if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
      names.emplace_back(e->d_name);
  }
  if (d) closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace steward::volume_test
