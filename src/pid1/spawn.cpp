// Everything a child does between fork() and exec(), in one place (tini's model).
#include "steward/pid1/spawn.hpp"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/diag.hpp"
#include "steward/util/fd.hpp"

extern char** environ;

namespace steward {

namespace {

// What the child reports through the pipe when it cannot exec.
struct ChildFailure {
  int stage;  // index into kStages
  int err;    // errno
};

enum Stage { kDup, kLimit, kUmask, kGroups, kGid, kUid, kUidCheck, kChdir, kNoNewPrivs, kExec };
const char* const kStages[] = {"dup2", "setrlimit", "umask", "setgroups", "setgid",
                               "setuid", "setuid check", "chdir", "prctl(NO_NEW_PRIVS)",
                               "exec"};

[[noreturn]] void Fail(int pipe_fd, Stage stage, int err) {
  ChildFailure f{stage, err};
  ssize_t n = write(pipe_fd, &f, sizeof f);
  (void)n;
  _exit(err == ENOENT ? 127 : stage == kExec ? 126 : 1);
}

// Moves every source above the highest target first, so that a dup2 onto a
// target never clobbers a source still to be used.
void SetUpFds(const SpawnRequest& req, int pipe_fd) {
  int devnull = -1;
  // Just above the highest target, not a fixed 64: with `ulimit -n` at 64
  // or lower, F_DUPFD past the limit fails (EINVAL) and nothing could start.
  int above = 0;
  for (auto [target, source] : req.fds) above = std::max(above, target + 1);
  std::vector<std::pair<int, int>> moved;
  for (auto [target, source] : req.fds) {
    if (source < 0) {
      if (devnull < 0) devnull = open("/dev/null", O_RDWR);
      source = devnull;
    }
    int high = fcntl(source, F_DUPFD_CLOEXEC, above);
    if (high < 0) Fail(pipe_fd, kDup, errno);
    moved.emplace_back(target, high);
  }
  for (auto [target, high] : moved) {
    if (dup2(high, target) < 0) Fail(pipe_fd, kDup, errno);  // clears CLOEXEC
  }
}

// Drops privileges and verifies it: a failed setuid must never leave a
// service running as root.
void SwitchIdentity(const Identity& id, int pipe_fd) {
  if (setgroups(id.groups.size(), id.groups.data()) < 0) Fail(pipe_fd, kGroups, errno);
  if (setgid(id.gid) < 0) Fail(pipe_fd, kGid, errno);
  if (setuid(id.uid) < 0) Fail(pipe_fd, kUid, errno);
  if (getuid() != id.uid || geteuid() != id.uid || getgid() != id.gid || getegid() != id.gid)
    Fail(pipe_fd, kUidCheck, EPERM);
  if (id.uid != 0 && setuid(0) == 0) Fail(pipe_fd, kUidCheck, EPERM);
}

[[noreturn]] void RunChild(const SpawnRequest& req, int pipe_fd, char** argv, char** envp) {
  if (req.new_process_group) {
    setpgid(0, 0);
    // SIGTTOU is still ignored here (inherited from steward), so taking the
    // terminal cannot stop us. ENOTTY when there is none is fine.
    if (req.foreground && isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpgrp());
  }
  SetUpFds(req, pipe_fd);
  if (req.limits) {
    for (const ResourceLimit& l : *req.limits) {
      struct rlimit rl = {rlim_t(l.soft), rlim_t(l.hard)};
      if (setrlimit(l.resource, &rl) < 0) Fail(pipe_fd, kLimit, errno);
    }
  }
  if (req.umask) umask(*req.umask);
  if (req.identity && req.identity->set) SwitchIdentity(*req.identity, pipe_fd);
  // After the switch, so that a directory the user may not enter is refused
  // as it would be for a login.
  if (!req.working_dir.empty() && chdir(req.working_dir.c_str()) < 0)
    Fail(pipe_fd, kChdir, errno);
  if (req.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    Fail(pipe_fd, kNoNewPrivs, errno);
  if (req.signals) req.signals->RestoreInChild();
  environ = envp;  // execvp searches the PATH of the new environment
  execvp(argv[0], argv);
  Fail(pipe_fd, kExec, errno);
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string Describe(const SpawnRequest& req, const ChildFailure& f) {
  const std::string& prog = req.argv[0];
  switch (f.stage) {
    case kExec:
      if (f.err == ENOENT) return fmt::format("{}: not found (check the command and PATH)", prog);
      return fmt::format("{}: cannot execute: {}", prog, strerror(f.err));
    case kChdir:
      return fmt::format("working_dir {}: {}", req.working_dir, strerror(f.err));
    case kUidCheck:
      return "dropping privileges did not take effect; refusing to run as root";
    default:
      return fmt::format("{}: {}", kStages[f.stage], strerror(f.err));
  }
}

}  // namespace

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

SpawnRequest HelperRequest(const SpawnRequest& service, std::vector<std::string> argv) {
  SpawnRequest req = service;
  req.argv = std::move(argv);
  req.foreground = false;
  req.fds.clear();
  req.fds.emplace_back(0, -1);
  for (auto [target, source] : service.fds) {
    if (target == 1 || target == 2) req.fds.emplace_back(target, source);
  }
  return req;
}

pid_t Spawn(const SpawnRequest& req, SpawnError* err) {
  if (req.argv.empty()) {
    err->message = "empty command";
    err->exit_code = 127;
    return -1;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    err->message = SysError("pipe2", "", errno);
    return -1;
  }
  UniqueFd rd(p[0]), wr(p[1]);
  // Prepared before fork: the child must not allocate.
  std::vector<char*> argv = CStrings(req.argv);
  std::vector<char*> envp = CStrings(req.env);

  pid_t pid = fork();
  if (pid < 0) {
    err->message = SysError("fork", req.argv[0], errno);
    return -1;
  }
  if (pid == 0) RunChild(req, wr.get(), argv.data(), envp.data());

  // Also from the parent, so the group exists before we signal it.
  if (req.new_process_group) setpgid(pid, pid);
  wr.Reset();
  ChildFailure f;
  ssize_t n;
  do {
    n = read(rd.get(), &f, sizeof f);
  } while (n < 0 && errno == EINTR);
  if (n != ssize_t(sizeof f)) return pid;  // exec'd: the pipe closed on exec

  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  err->message = Describe(req, f);
  err->exit_code = f.stage == kExec ? (f.err == ENOENT ? 127 : 126) : 1;
  return -1;
}

}  // namespace steward
