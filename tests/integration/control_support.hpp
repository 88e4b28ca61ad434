// The service set and ctl runner the control integration tests share (control_*_test.cpp).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "ctl.hpp"
#include "harness.hpp"
#include "service_set.hpp"

namespace steward::testing::controlled {


using std::chrono::milliseconds;
using std::chrono::seconds;

// The control tests' set: its directory root's alone (0755), for the
// permission tests.
struct Set : ServiceSet {
  Set() : ServiceSet(0755) {}
};

// A longrun that records its start, SIGUSR1, and its stop on SIGTERM.
inline std::string Recorder(const std::string& name, const std::string& extra = "") {
  return "command = \"\"\"\n"
         "trap 'echo stop " + name + " >> @LOG; exit 0' TERM\n"
         "trap 'echo usr1 " + name + " >> @LOG' USR1\n"
         "echo start " + name + " >> @LOG\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n" + extra;
}

// The same, ready only once its start is on record (without a [ready]
// check "started" is ready, and a dependent could win the race to the log).
inline std::string ReadyRecorder(const std::string& name, const std::string& extra = "") {
  return "command = \"\"\"\n"
         "trap 'echo stop " + name + " >> @LOG; exit 0' TERM\n"
         "echo start " + name + " >> @LOG\n"
         "touch @DIR/" + name + ".ready\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n" + extra +
         "[ready]\nfile = \"@DIR/" + name + ".ready\"\n";
}

inline CtlResult Ctl(const Set& set, std::vector<std::string> args, const CtlOptions& o = {}) {
  args.insert(args.begin(), {"--runtime-dir", set.run()});
  return Ctl(args, o);
}

// The table row of a service, split into its cells.
inline std::vector<std::string> Row(const std::string& table, const std::string& name) {
  for (const std::string& line : Lines(table)) {
    if (line.compare(0, name.size() + 1, name + " ") != 0) continue;
    std::vector<std::string> cells;
    size_t at = 0;
    while (at < line.size()) {
      size_t end = line.find("  ", at);
      if (end == std::string::npos) end = line.size();
      cells.push_back(line.substr(at, end - at));
      at = line.find_first_not_of(' ', end);
      if (at == std::string::npos) break;
    }
    return cells;
  }
  return {};
}

// One cell of a service's row; "" when there is none.
inline std::string Cell(const std::string& table, const std::string& name, size_t column) {
  std::vector<std::string> row = Row(table, name);
  return column < row.size() ? row[column] : "";
}

inline std::string State(const Set& set, const std::string& name) {
  return Cell(Ctl(set, {"status", name}).out, name, 1);
}

// Connects to the socket directly, to speak (or not) the protocol by hand.
inline int RawConnect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  return out;
}


}  // namespace steward::testing::controlled
