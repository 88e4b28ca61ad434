// The processes below steward that belong to no service, read from /proc.
#include "steward/pid1/procs.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "steward/config/parse.hpp"

namespace steward {

namespace {

// ppid from /proc/PID/stat: "pid (comm) S ppid ..."; comm may contain ')'.
pid_t ReadParent(pid_t pid) {
  char buf[512];
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char* close_paren = strrchr(buf, ')');
  if (!close_paren) return -1;
  // " S 1234 ...": skip the state, read the number. By hand: sscanf would
  // link glibc's whole scanf and strtod family into the static binary.
  const char* p = close_paren + 1;
  while (*p == ' ') ++p;
  if (!*p) return -1;
  ++p;  // the state letter
  while (*p == ' ') ++p;
  pid_t ppid = 0;
  if (*p < '0' || *p > '9') return -1;
  for (; *p >= '0' && *p <= '9'; ++p) ppid = ppid * 10 + (*p - '0');
  return ppid;
}

// True when this process has no child at all, reaped or not: then it has no
// descendant either, and /proc need not be read (wrapper mode's common case,
// and the most expensive part of its exit on a busy machine).
bool NoChildren() {
  siginfo_t info = {};
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

}  // namespace

std::vector<pid_t> Descendants(pid_t spare) {
  std::vector<pid_t> out;
  if (NoChildren()) return out;
  DIR* d = opendir("/proc");
  if (!d) {
    siginfo_t info = {};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0) out.push_back(-1);
    return out;
  }
  std::multimap<pid_t, pid_t> children;  // parent -> child
  while (struct dirent* e = readdir(d)) {
    uint64_t pid;
    if (!ParseUnsigned(e->d_name, &pid)) continue;
    pid_t parent = ReadParent(pid_t(pid));
    if (parent >= 0) children.emplace(parent, pid_t(pid));
  }
  closedir(d);
  std::vector<pid_t> todo = {getpid()};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == spare) continue;
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

int SignalDescendants(int sig, pid_t spare) {
  std::vector<pid_t> pids = Descendants(spare);
  for (pid_t p : pids) {
    if (p > 0) kill(p, sig);
  }
  return int(pids.size());
}

bool GroupAlive(pid_t pgid) {
  if (pgid <= 0) return false;
  return kill(-pgid, 0) == 0 || errno == EPERM;
}

bool BecomeSubreaper() { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }

}  // namespace steward
