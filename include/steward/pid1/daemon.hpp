// A longrun that daemonizes (`pg_ctl start`, a shell that backgrounds its
// server): its command exits 0 and the real process lives on, re-parented
// to steward. Without `pid_file` steward says so; with it, steward reads
// the daemon's pid from the file (systemd's Type=forking) and supervises
// that process instead.
//
// Everything here reads /proc or the pid file once, on an exit event;
// nothing is polled.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace steward {

// What /proc says about one process.
struct ProcInfo {
  pid_t pgid = 0;
  uid_t uid = 0;                    // real uid
  unsigned long long start_ticks = 0;  // starttime: clock ticks since boot
};
bool ReadProcInfo(pid_t pid, ProcInfo* out);

// Now, in the unit of ProcInfo::start_ticks.
unsigned long long BootTicks();

// The processes in `candidates` that started at or after `since` and for
// which `ours` is false (another service's, a helper's): what a service
// that exited may have left running.
std::vector<pid_t> Leftovers(const std::vector<pid_t>& candidates, unsigned long long since,
                             const std::function<bool(pid_t pid, const ProcInfo&)>& ours);

// "web: exited 0 after 0.2 s leaving pid 15 running: it may have
// daemonized; run it in the foreground (or set pid_file ...)".
std::string DaemonizedMessage(const std::string& service, double seconds,
                              const std::vector<pid_t>& pids);

// The pid in a pid file: read through ReadSafely (no link a service could
// plant is followed; at most 64 bytes), one decimal number, surrounding
// whitespace allowed. -1 with *err ("PATH: reason") otherwise.
pid_t ReadPidFile(const std::string& path, std::string* err);

}  // namespace steward
