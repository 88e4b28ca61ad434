// Shared by the fault-matrix tests (tests/integration/fault_*_test.cpp): a
// services directory with a global file, a /dev/log of the test's own, raw
// datagrams sent to it, `steward ctl` run to completion, and PID 1's memory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness.hpp"

namespace steward::testing {

// A services directory, a global file and a runtime directory; "@DIR" in
// the texts becomes the test's directory. /dev/log is @DIR/dev-log.
class FaultSet {
 public:
  FaultSet();
  std::string Expand(std::string text) const;
  void Add(const std::string& name, const std::string& toml);
  // The text after `[log]` and its syslog_socket line: more log keys, then sinks.
  void Global(const std::string& log_section_and_sinks);
  std::vector<std::string> Args() const;
  std::string path(const std::string& name) const { return dir_ / name; }
  std::string dev_log() const { return dir_ / "dev-log"; }

 private:
  TempDir dir_;
};

// A datagram client of a /dev/log socket; sends block (30 s at most), as
// syslog(3) does, so a failed send means steward stopped reading.
class DevLog {
 public:
  explicit DevLog(const std::string& path);
  ~DevLog();
  // Returns 0, or the errno of the failed send.
  int Send(const std::string& datagram);

 private:
  int fd_ = -1;
  std::string path_;
};

struct CtlResult {
  int code = -1;
  std::string out, err;
};
CtlResult RunCtl(const std::string& runtime_dir, const std::vector<std::string>& args);

// VmRSS of a process in KiB (0 when gone).
long RssKiB(pid_t pid);
// Memory bounds are generous; under AddressSanitizer (its shadow memory and
// quarantine of freed blocks) they are multiplied by this.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssScale = 8;
#else
constexpr long kRssScale = 1;
#endif
// The forwarder (steward-log), a child of steward; 0 when none.
pid_t ForwarderOf(pid_t steward);
void ExpectNoSanitizerReport(const Process& p);

}  // namespace steward::testing
