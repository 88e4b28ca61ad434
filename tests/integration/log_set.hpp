// Shared by the log tests that run the real binary as PID 1
// (log_e2e_test.cpp, reload_log_test.cpp): a services directory with a
// global file, the forwarder's pid, a numbered-line writer in shell.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "harness.hpp"
#include "service_set.hpp"
#include "collector.hpp"
#include "log_support.hpp"

namespace steward::testing {

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
