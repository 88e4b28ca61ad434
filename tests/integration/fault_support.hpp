// Shared by the fault-matrix tests (tests/integration/fault_*_test.cpp): a
// services directory with a global file, a /dev/log of the test's own, raw
// datagrams sent to it, `steward ctl` run to completion, and PID 1's memory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "ctl.hpp"
#include "harness.hpp"
#include "service_set.hpp"

namespace steward::testing {

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


// VmRSS of a process in KiB (0 when gone).
long RssKiB(pid_t pid);
// Memory bounds are generous; under AddressSanitizer (its shadow memory and
// quarantine of freed blocks) they are multiplied by this.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssScale = 8;
#else
constexpr long kRssScale = 1;
#endif

}  // namespace steward::testing
