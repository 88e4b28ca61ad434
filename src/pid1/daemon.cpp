// Daemonizing services: leftovers after an exit 0, and pid files.
#include "steward/pid1/daemon.hpp"

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include "steward/config/parse.hpp"
#include "steward/util/safe_path.hpp"

namespace steward {

namespace {

bool ReadSmall(const std::string& path, char* buf, size_t size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  return true;
}

bool Blank(char c) { return c == ' ' || c == '\t'; }

// The n-th blank-separated number after p (0 = the first), by hand: sscanf
// would link scanf's family into the static binary.
bool NthNumber(const char* p, int n, unsigned long long* out) {
  for (int i = 0;; ++i) {
    while (Blank(*p)) ++p;
    if (!*p) return false;
    if (i == n) break;
    while (*p && !Blank(*p)) ++p;
  }
  unsigned long long v = 0;
  if (*p < '0' || *p > '9') return false;
  for (; *p >= '0' && *p <= '9'; ++p) v = v * 10 + unsigned(*p - '0');
  *out = v;
  return true;
}

}  // namespace

bool ReadProcInfo(pid_t pid, ProcInfo* out) {
  char buf[1024];
  std::string dir = "/proc/" + std::to_string(pid);
  if (!ReadSmall(dir + "/stat", buf, sizeof buf)) return false;
  // "pid (comm) S ppid pgrp ...": comm may contain ')' and spaces.
  const char* p = strrchr(buf, ')');
  if (!p) return false;
  p += 2;  // ") "
  while (*p && *p != ' ') ++p;  // the state letter
  unsigned long long pgid, start;
  // After the state: ppid(0) pgrp(1) ... starttime(18).
  if (!NthNumber(p, 1, &pgid) || !NthNumber(p, 18, &start)) return false;
  out->pgid = pid_t(pgid);
  out->start_ticks = start;
  char status[4096];
  if (!ReadSmall(dir + "/status", status, sizeof status)) return false;
  const char* uid = strstr(status, "\nUid:");
  unsigned long long real;
  if (!uid || !NthNumber(uid + 5, 0, &real)) return false;
  out->uid = uid_t(real);
  return true;
}

unsigned long long BootTicks() {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  unsigned long long hz = (unsigned long long)sysconf(_SC_CLK_TCK);
  return (unsigned long long)ts.tv_sec * hz + (unsigned long long)ts.tv_nsec * hz / 1000000000ull;
}

std::vector<pid_t> Leftovers(const std::vector<pid_t>& candidates, unsigned long long since,
                             const std::function<bool(pid_t pid, const ProcInfo&)>& ours) {
  std::vector<pid_t> out;
  for (pid_t pid : candidates) {
    ProcInfo info;
    if (pid <= 0 || !ReadProcInfo(pid, &info)) continue;
    if (info.start_ticks >= since && !ours(pid, info)) out.push_back(pid);
  }
  return out;
}

std::string DaemonizedMessage(const std::string& service, double seconds,
                              const std::vector<pid_t>& pids) {
  std::string list;
  for (pid_t p : pids) list += fmt::format("{}{}", list.empty() ? "" : ", ", p);
  return fmt::format("{}: exited 0 after {:.1f} s leaving pid{} {} running: it may have "
                     "daemonized; run it in the foreground (or set pid_file to supervise the "
                     "daemon by its pid file)",
                     service, seconds, pids.size() == 1 ? "" : "s", list);
}

pid_t ReadPidFile(const std::string& path, std::string* err) {
  std::string content;
  PathError perr;
  if (!ReadSafely(path, 64, &content, &perr)) {
    *err = perr.text;
    return -1;
  }
  size_t b = content.find_first_not_of(" \t\r\n");
  size_t e = content.find_last_not_of(" \t\r\n");
  uint64_t pid = 0;
  if (b == std::string::npos || !ParseUnsigned(std::string_view(content).substr(b, e - b + 1), &pid) ||
      pid < 2 || pid > 4194304) {
    *err = fmt::format("{}: not a process id", path);
    return -1;
  }
  return pid_t(pid);
}

}  // namespace steward
