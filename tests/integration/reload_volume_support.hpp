// The configuration volume's fixture (reload_volume*_test.cpp): a service
// set with a volume over it, in either layout users have.
#pragma once

#include <stdio.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "control_support.hpp"

namespace steward::testing::volume {

using namespace controlled;
using Clock = std::chrono::steady_clock;

inline std::string PidOf(const Set& set, const std::string& name) {
  return Cell(Ctl(set, {"status", name}).out, name, 2);
}

// Writes a file the way an editor or `kubectl cp` does: a new name, then a
// rename over the old one.
inline void Replace(const std::string& path, const std::string& text) {
  WriteFile(path + ".new", text);
  ASSERT_EQ(0, rename((path + ".new").c_str(), path.c_str()));
}

inline std::string App(const Set& set, const std::string& version) {
  return "command = \"\"\"\ntrap 'echo stop app >> " + set.log() + "; exit 0' TERM\n"
         "echo start app " + version + " >> " + set.log() + "\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n";
}

inline void Mkdirs(const std::string& path) {
  ASSERT_EQ(0, system(("mkdir -p '" + path + "'").c_str()));
}

// How long a change took to reach the service, for the record only.
inline void Report(const char* what, Clock::time_point since) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
  std::cout << what << ": " << ms << " ms from the change to the service running with it\n";
}

// A plain volume whose tree installs over the set's services directory,
// with app (version "one") in it; steward started over it.
struct PlainVolume {
  Set set;
  std::string volume = set.path("volume");
  std::string mirror = volume + set.services();
  std::unique_ptr<Process> p;

  void Run(const std::string& global = "", RunOptions o = {}) {
    Mkdirs(mirror);
    WriteFile(mirror + "/app.toml", App(set, "one"));
    o.env["STEWARD_CONFIG_VOLUME"] = volume;
    p = std::make_unique<Process>(set.ArgsWithConfig(global), o);
    ASSERT_TRUE(WaitFor([&] { return set.Has("start app one"); })) << p->Stderr();
  }
};

// A volume in one of the two layouts users push to: a plain directory
// (each file replaced by a rename), or the kubelet's (every top-level entry
// a link through `..data` to a timestamped directory; a push is a new
// directory and one rename of a new `..data` over the old one).
class Volume {
 public:
  Volume(std::string path, bool kubelet) : path_(std::move(path)), kubelet_(kubelet) {
    Mkdirs(path_);
  }
  const std::string& path() const { return path_; }
  // How steward names the file that installs at dest.
  std::string Shown(const std::string& dest) const { return path_ + dest; }

  // Publishes files (destination -> content) as the volume's content.
  void Push(const std::map<std::string, std::string>& files) {
    if (!kubelet_) {
      for (const auto& [dest, text] : files) {
        Mkdirs(path_ + dest.substr(0, dest.rfind('/')));
        Replace(path_ + dest, text);
      }
      return;
    }
    std::string dir = "..2026_12_01_10_00_0" + std::to_string(++version_) + ".1";
    for (const auto& [dest, text] : files) {
      Mkdirs(path_ + "/" + dir + dest.substr(0, dest.rfind('/')));
      WriteFile(path_ + "/" + dir + dest, text);
      std::string top = dest.substr(1, dest.find('/', 1) - 1);
      if (!Exists(path_ + "/" + top)) {
        ASSERT_EQ(0, symlink(("..data/" + top).c_str(), (path_ + "/" + top).c_str()));
      }
    }
    ASSERT_EQ(0, symlink(dir.c_str(), (path_ + "/..data_tmp").c_str()));
    ASSERT_EQ(0, rename((path_ + "/..data_tmp").c_str(), (path_ + "/..data").c_str()));
    if (!current_.empty()) {
      ASSERT_EQ(0, system(("rm -rf '" + path_ + "/" + current_ + "'").c_str()));
    }
    current_ = dir;
  }

 private:
  std::string path_;
  bool kubelet_;
  int version_ = 0;
  std::string current_;  // the timestamped directory ..data points at
};

}  // namespace steward::testing::volume
