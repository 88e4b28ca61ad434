// Shared by the log tests that run the real binary as PID 1
// (log_e2e_test.cpp, reload_log_test.cpp): a services directory with a
// global file, the forwarder's pid, a numbered-line writer in shell.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "harness.hpp"
#include "log_support.hpp"

namespace steward::testing {

// A services directory, a global file and a runtime directory. "@DIR" in
// the texts becomes the test's directory. /dev/log is always a socket of
// the test's own, never the machine's.
class LogSet {
 public:
  LogSet() {
    mkdir((dir_ / "services").c_str(), 0755);
    mkdir((dir_ / "run").c_str(), 0755);
    chmod(dir_.path().c_str(), 0777);
  }
  std::string Expand(std::string text) const {
    for (size_t at; (at = text.find("@DIR")) != std::string::npos;) text.replace(at, 4, dir_.path());
    return text;
  }
  void Add(const std::string& name, const std::string& toml) {
    WriteFile(dir_ / ("services/" + name + ".toml"), Expand(toml));
  }
  void Global(const std::string& log_section_and_sinks) {
    WriteFile(dir_ / "steward.toml",
              Expand("[log]\nsyslog_socket = \"@DIR/dev-log\"\n" + log_section_and_sinks));
  }
  std::vector<std::string> Args() const {
    return {"--services", dir_ / "services", "--config", dir_ / "steward.toml", "--runtime-dir",
            dir_ / "run", "--shutdown-timeout", "30s"};
  }
  std::string path(const std::string& name) const { return dir_ / name; }

 private:
  TempDir dir_;
};

inline void ExpectNoSanitizerReport(const Process& p) {
  EXPECT_EQ(std::string::npos, p.Stderr().find("Sanitizer")) << p.Stderr();
  EXPECT_EQ(std::string::npos, p.Stderr().find("runtime error:")) << p.Stderr();
}

// steward's forwarder: the child of PID 1 named steward-log.
inline pid_t Forwarder(pid_t steward) {
  for (pid_t c : Children(steward)) {
    std::string comm = ReadFile("/proc/" + std::to_string(c) + "/comm");
    if (comm == "steward-log\n") return c;
  }
  return 0;
}

inline std::string NumberedLines(const std::string& prefix, int count, int per_sleep) {
  // A POSIX shell loop: prefix-1 ... prefix-count, a short sleep every
  // per_sleep lines so the stream lasts a while. `$$` is a literal `$` in
  // steward's interpolation (SPEC §7).
  return fmt::format(
      "i=0; while [ $$i -lt {1} ]; do i=$$((i+1)); echo {0}-$$i; "
      "if [ $$((i % {2})) -eq 0 ]; then sleep 0.01; fi; done",
      prefix, count, per_sleep);
}

}  // namespace steward::testing
