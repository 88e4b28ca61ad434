// The event-log service set the Supervisor integration tests share (supervisor_*_test.cpp).
#pragma once

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "harness.hpp"

namespace steward::testing::supervised {


using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

inline double SecondsSince(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

// A services directory, a runtime directory and an event log in one place.
class Set {
 public:
  Set() {
    (void)mkdir((dir_ / "services").c_str(), 0755);
    (void)mkdir((dir_ / "run").c_str(), 0755);
    chmod(dir_.path().c_str(), 0777);
    WriteFile(log(), "", 0666);
  }
  std::string services() const { return dir_ / "services"; }
  std::string log() const { return dir_ / "events"; }
  std::string path(const std::string& name) const { return dir_ / name; }
  // Writes services/NAME.toml; "@LOG" in the text becomes the event log,
  // "@DIR" the test's directory.
  void Add(const std::string& name, std::string toml) {
    for (size_t at; (at = toml.find("@LOG")) != std::string::npos;) toml.replace(at, 4, log());
    for (size_t at; (at = toml.find("@DIR")) != std::string::npos;) toml.replace(at, 4, dir_.path());
    WriteFile(services() + "/" + name + ".toml", toml);
  }
  std::vector<std::string> Args(std::vector<std::string> extra = {},
                                std::vector<std::string> program = {}) const {
    std::vector<std::string> a = {"--services", services(), "--config", "",
                                  "--runtime-dir", dir_ / "run"};
    a.insert(a.end(), extra.begin(), extra.end());
    if (!program.empty()) {
      a.push_back("--");
      a.insert(a.end(), program.begin(), program.end());
    }
    return a;
  }
  std::vector<std::string> Events() const { return Lines(ReadFile(log())); }
  bool Has(const std::string& event) const {
    auto ev = Events();
    return std::find(ev.begin(), ev.end(), event) != ev.end();
  }
  // Position of an event in the log; -1 when absent.
  int At(const std::string& event) const {
    auto ev = Events();
    auto it = std::find(ev.begin(), ev.end(), event);
    return it == ev.end() ? -1 : int(it - ev.begin());
  }

 private:
  TempDir dir_;
};

// A longrun that records its start and, on SIGTERM, its stop. It is ready
// only once its trap is set and its start recorded, so nothing depending on
// it, and no signal a test sends after waiting for it, can overtake that.
inline std::string Recorder(const std::string& name, const std::string& extra = "") {
  return "command = \"\"\"\n"
         "trap 'echo stop " + name + " >> @LOG; exit 0' TERM\n"
         "echo start " + name + " >> @LOG\n"
         "touch @DIR/" + name + ".ready\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n" + extra +
         "[ready]\nfile = \"@DIR/" + name + ".ready\"\ninterval = \"20ms\"\n";
}


}  // namespace steward::testing::supervised
