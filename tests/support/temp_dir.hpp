// A fresh temporary directory for one test, removed with everything in it
// when the test ends: the one scratch directory of every test, unit and
// integration alike.
#pragma once

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace steward::testing {

class TempDir {
 public:
  // /tmp/steward-WHAT-XXXXXX, mode 0755 (others may look in: tests run
  // services as nobody there).
  explicit TempDir(const std::string& what = "test") {
    std::string tmpl = "/tmp/steward-" + what + "-XXXXXX";
    if (!mkdtemp(tmpl.data())) abort();
    path_ = tmpl;
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    // Directories a test made read-only or unsearchable are opened up first.
    nftw(path_.c_str(), OpenUp, 16, FTW_PHYS);
    nftw(path_.c_str(), Remove, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  static int OpenUp(const char* path, const struct stat*, int type, struct FTW*) {
    if (type == FTW_D || type == FTW_DNR) chmod(path, 0700);
    return 0;
  }
  static int Remove(const char* path, const struct stat*, int, struct FTW*) {
    std::remove(path);
    return 0;
  }
  std::string path_;
};

}  // namespace steward::testing
