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
#include "service_set.hpp"

namespace steward::testing::supervised {


using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

inline double SecondsSince(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

using Set = ServiceSet;

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
