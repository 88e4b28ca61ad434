// A services directory, a runtime directory and an event log in one place:
// the set of services an integration test runs steward over.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <string>
#include <vector>

#include "files.hpp"
#include "temp_dir.hpp"

namespace steward::testing {

class ServiceSet {
 public:
  // mode: of the test's directory (0777 lets a service running as nobody
  // write its events there; 0755 keeps it to root, as permission tests need).
  explicit ServiceSet(mode_t mode = 0777) {
    (void)mkdir((dir_ / "services").c_str(), 0755);
    (void)mkdir((dir_ / "run").c_str(), 0755);
    chmod(dir_.path().c_str(), mode);
    WriteFile(log(), "", 0666);
  }
  std::string services() const { return dir_ / "services"; }
  std::string run() const { return dir_ / "run"; }
  std::string socket() const { return dir_ / "run/control.sock"; }
  std::string log() const { return dir_ / "events"; }
  std::string path(const std::string& name) const { return dir_ / name; }
  // "@LOG" in the text becomes the event log, "@DIR" the test's directory.
  std::string Expand(std::string text) const {
    for (size_t at; (at = text.find("@LOG")) != std::string::npos;) text.replace(at, 4, log());
    for (size_t at; (at = text.find("@DIR")) != std::string::npos;) text.replace(at, 4, dir_.path());
    return text;
  }
  // Writes services/NAME.toml.
  void Add(const std::string& name, const std::string& toml) {
    WriteFile(services() + "/" + name + ".toml", Expand(toml));
  }
  // steward's command line over this set: no global file, extra options,
  // then the main program when there is one.
  std::vector<std::string> Args(std::vector<std::string> extra = {},
                                std::vector<std::string> program = {}) const {
    std::vector<std::string> a = {"--services", services(), "--config", "", "--runtime-dir", run()};
    a.insert(a.end(), extra.begin(), extra.end());
    if (!program.empty()) {
      a.push_back("--");
      a.insert(a.end(), program.begin(), program.end());
    }
    return a;
  }
  // The same with a global file.
  std::vector<std::string> ArgsWithConfig(const std::string& config) const {
    return {"--services", services(), "--config", config, "--runtime-dir", run()};
  }
  std::vector<std::string> Events() const { return Lines(ReadFile(log())); }
  int Count(const std::string& event) const {
    auto ev = Events();
    return int(std::count(ev.begin(), ev.end(), event));
  }
  bool Has(const std::string& event) const { return Count(event) > 0; }
  // Position of the n-th (0-based) occurrence of an event; -1 when absent.
  int At(const std::string& event, int nth = 0) const {
    auto ev = Events();
    for (size_t i = 0; i < ev.size(); ++i) {
      if (ev[i] == event && nth-- == 0) return int(i);
    }
    return -1;
  }

 private:
  TempDir dir_;
};

// The same with a global file whose [log] section reads a /dev/log of the
// test's own (@DIR/dev-log), never the machine's: the log and fault tests'.
class LogSet : public ServiceSet {
 public:
  // The text after `[log]` and its syslog_socket line: more log keys, then sinks.
  void Global(const std::string& log_section_and_sinks) {
    WriteFile(path("steward.toml"),
              Expand("[log]\nsyslog_socket = \"@DIR/dev-log\"\n" + log_section_and_sinks));
  }
  std::string dev_log() const { return path("dev-log"); }
  std::vector<std::string> Args() const {
    return {"--services", services(), "--config", path("steward.toml"), "--runtime-dir", run(),
            "--shutdown-timeout", "30s"};
  }
};

}  // namespace steward::testing
