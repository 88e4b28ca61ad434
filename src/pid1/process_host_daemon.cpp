// PID 1's side of daemonizing services (daemon.hpp): the warning when a
// longrun exits 0 and leaves a process behind, and adopting the daemon of
// a service with pid_file.
#include <algorithm>

#include "steward/pid1/daemon.hpp"
#include "steward/util/exit_status.hpp"
#include "steward/pid1/procs.hpp"
#include "steward/pid1/process_host.hpp"
#include "steward/util/diag.hpp"

namespace steward {

// Said once per exit, read from /proc at that moment (never polled). What
// counts as left behind: a process below steward, started since the
// service's launch, in no other service's process group nor a helper's
// (what stayed in its own group was just sent SIGTERM, but was left too).
void ProcessHost::WarnIfDaemonized(const Service& s, State old) {
  const ServiceConfig& cfg = s.config();
  bool exited_ok = (s.state() == State::kExited || s.state() == State::kBackoff) &&
                   (old == State::kRunning || old == State::kReady) && s.has_exited() &&
                   IsSuccess(s.last_status());
  if (!exited_ok || cfg.type != ServiceType::kLongrun || !cfg.pid_file.empty() ||
      cfg.from_command_line || settings_.wrapper_mode)
    return;
  auto it = launched_.find(&s);
  if (it == launched_.end()) return;
  const Launched& l = it->second;
  std::vector<pid_t> left =
      Leftovers(Descendants(ForwarderPid()), l.ticks, [&](pid_t pid, const ProcInfo& info) {
        if (helpers_.count(pid) || helpers_.count(info.pgid)) return true;
        for (const auto& [svc, launched] : launched_) {
          if (svc != &s && svc->pid() > 0 && (svc->pid() == pid || svc->pid() == info.pgid))
            return true;
        }
        return false;
      });
  if (left.empty()) return;
  double seconds = std::chrono::duration<double>(Now() - s.started_at()).count();
  Warning("{}", DaemonizedMessage(s.name(), seconds, left));
}

// Why pid (from the service's pid file, which the service can write) may
// not become the service's process, or "". steward signals that process
// as root on the service's behalf, so it must be one the service could
// signal itself: below steward (not the forwarder), running as the
// service's user, and in no other service's process group.
std::string ProcessHost::DaemonProblem(const Service& s, pid_t pid) const {
  std::vector<pid_t> below = Descendants(ForwarderPid());
  if (std::find(below.begin(), below.end(), pid) == below.end())
    return fmt::format("pid {} is not a process below steward (the daemon must be started by "
                       "the command and keep running)",
                       pid);
  ProcInfo info;
  if (!ReadProcInfo(pid, &info)) return fmt::format("pid {} is gone", pid);
  const Identity& id = s.config().identity;
  if (id.set && info.uid != id.uid)
    return fmt::format("pid {} runs as uid {}, not as the service's user (uid {})", pid, info.uid,
                       id.uid);
  for (const auto& [svc, launched] : launched_) {
    if (svc != &s && svc->pid() > 0 && (svc->pid() == pid || svc->pid() == info.pgid))
      return fmt::format("pid {} belongs to service '{}'", pid, svc->name());
  }
  return "";
}

pid_t ProcessHost::AdoptDaemon(Service& s) {
  const std::string& path = s.config().pid_file;
  std::string err;
  pid_t pid = ReadPidFile(path, &err);
  if (pid > 0) err = DaemonProblem(s, pid);
  if (pid < 0 || !err.empty()) {
    Error("{}: exited 0, but pid_file: {}; counting it as a failed start", s.name(),
          pid < 0 ? err : path + ": " + err);
    return -1;
  }
  if (logs_) logs_->SetPid(s.name(), pid);
  Info("{}: daemonized; supervising pid {} from {}", s.name(), pid, path);
  return pid;
}

}  // namespace steward
