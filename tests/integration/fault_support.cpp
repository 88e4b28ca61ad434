// Helpers of the fault-matrix tests: see fault_support.hpp.
#include "fault_support.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

namespace steward::testing {


DevLog::DevLog(const std::string& path) : path_(path) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct timeval tv = {30, 0};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

DevLog::~DevLog() { close(fd_); }

int DevLog::Send(const std::string& datagram) {
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  if (path_.size() >= sizeof sa.sun_path) return ENAMETOOLONG;
  memcpy(sa.sun_path, path_.c_str(), path_.size());
  for (;;) {
    ssize_t n = sendto(fd_, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
    if (n >= 0) return 0;
    if (errno == EINTR) continue;
    return errno;
  }
}

long RssKiB(pid_t pid) {
  for (const std::string& l : Lines(ReadFile("/proc/" + std::to_string(pid) + "/status"))) {
    if (l.rfind("VmRSS:", 0) == 0) return atol(l.c_str() + 6);
  }
  return 0;
}

}  // namespace steward::testing
