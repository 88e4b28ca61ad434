// Everything a child does between clone() and exec(), in one place (tini's model).
#include "steward/pid1/spawn.hpp"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/diag.hpp"

extern char** environ;

namespace steward {

namespace {

// What the child leaves in shared memory when it cannot exec.
struct ChildFailure {
  int stage = -1;  // index into kStages; -1: exec'd
  int err = 0;     // errno
};

enum Stage { kDup, kLimit, kUmask, kGroups, kGid, kUid, kUidCheck, kChdir, kNoNewPrivs, kExec };
const char* const kStages[] = {"dup2", "setrlimit", "umask", "setgroups", "setgid",
                               "setuid", "setuid check", "chdir", "prctl(NO_NEW_PRIVS)",
                               "exec"};

// Everything the child needs, prepared by the parent: the child runs in
// steward's memory on a stack of its own and must not allocate (the heap is
// steward's) nor change any global but environ, which the parent restores.
struct Child {
  const SpawnRequest* req;
  char** argv;
  char** envp;
  std::pair<int, int>* moved;  // req->fds.size() slots
  ChildFailure failure;
};

// The child runs on child_stack below, which AddressSanitizer does not know
// as a stack: its code is not instrumented (a sanitizer build only).
#define CHILD_SIDE __attribute__((no_sanitize("address")))

[[noreturn]] CHILD_SIDE void Fail(Child* c, Stage stage, int err) {
  c->failure.stage = stage;
  c->failure.err = err;
  _exit(err == ENOENT ? 127 : stage == kExec ? 126 : 1);
}

// Moves every source above the highest target first, so that a dup2 onto a
// target never clobbers a source still to be used.
CHILD_SIDE void SetUpFds(Child* c) {
  const SpawnRequest& req = *c->req;
  int devnull = -1;
  // Just above the highest target, not a fixed 64: with `ulimit -n` at 64
  // or lower, F_DUPFD past the limit fails (EINVAL) and nothing could start.
  int above = 0;
  for (auto [target, source] : req.fds) above = std::max(above, target + 1);
  size_t n = 0;
  for (auto [target, source] : req.fds) {
    if (source < 0) {
      if (devnull < 0) devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
      source = devnull;
    }
    int high = fcntl(source, F_DUPFD_CLOEXEC, above);
    if (high < 0) Fail(c, kDup, errno);
    c->moved[n++] = {target, high};
  }
  for (size_t i = 0; i < n; ++i) {
    if (dup2(c->moved[i].second, c->moved[i].first) < 0) Fail(c, kDup, errno);  // clears CLOEXEC
  }
}

// Drops privileges and verifies it: a failed setuid must never leave a
// service running as root. Raw system calls: glibc's wrappers would try to
// reach steward's other threads (there are none, but the child shares
// steward's memory and must not find out the hard way).
CHILD_SIDE void SwitchIdentity(const Identity& id, Child* c) {
  // steward's own user (docker run --user 1000 and user = "1000"): nothing
  // to switch, and without CAP_SETGID the listed groups cannot be set; the
  // service keeps steward's groups, as it would under su to itself.
  bool same = id.uid == getuid() && id.uid == geteuid() && id.gid == getgid() &&
              id.gid == getegid() && id.uid != 0;
  if (syscall(SYS_setgroups, id.groups.size(), id.groups.data()) < 0) {
    if (same && errno == EPERM) return;
    Fail(c, kGroups, errno);
  }
  if (syscall(SYS_setgid, id.gid) < 0) Fail(c, kGid, errno);
  if (syscall(SYS_setuid, id.uid) < 0) Fail(c, kUid, errno);
  if (getuid() != id.uid || geteuid() != id.uid || getgid() != id.gid || getegid() != id.gid)
    Fail(c, kUidCheck, EPERM);
  if (id.uid != 0 && syscall(SYS_setuid, 0) == 0) Fail(c, kUidCheck, EPERM);
}

CHILD_SIDE int RunChild(void* arg) {
  Child* c = static_cast<Child*>(arg);
  const SpawnRequest& req = *c->req;
  if (req.new_process_group) {
    setpgid(0, 0);
    // SIGTTOU is still ignored here (inherited from steward), so taking the
    // terminal cannot stop us. ENOTTY when there is none is fine.
    if (req.foreground && isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpgrp());
  }
  SetUpFds(c);
  if (req.limits) {
    for (const ResourceLimit& l : *req.limits) {
      struct rlimit rl = {rlim_t(l.soft), rlim_t(l.hard)};
      if (setrlimit(l.resource, &rl) < 0) Fail(c, kLimit, errno);
    }
  }
  if (req.umask) umask(*req.umask);
  if (req.identity && req.identity->set) SwitchIdentity(*req.identity, c);
  // After the switch, so that a directory the user may not enter is refused
  // as it would be for a login.
  if (!req.working_dir.empty() && chdir(req.working_dir.c_str()) < 0) Fail(c, kChdir, errno);
  if (req.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    Fail(c, kNoNewPrivs, errno);
  // Without CLONE_SIGHAND the child's dispositions are its own.
  if (req.signals) req.signals->RestoreInChild();
  if (c->envp) environ = c->envp;  // execvp searches the PATH of the new environment
  execvp(c->argv[0], c->argv);
  Fail(c, kExec, errno);
}

// The child's stack. One is enough: the parent is suspended until the child
// has exec'd or exited, and steward spawns from one thread. execvp puts a
// copy of each PATH entry and the file name on it, so a PATH longer than a
// few KiB gets a stack mapped for it.
constexpr size_t kStackSize = 64 * 1024;
alignas(16) char child_stack[kStackSize];

size_t StackNeeded(const SpawnRequest& req, char** envp) {
  const char* path = nullptr;
  for (char** e = envp ? envp : environ; e && *e; ++e) {
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  }
  size_t need = 16 * 1024 + (path ? strlen(path) : 0) + req.argv[0].size();
  need += (req.argv.size() + 2) * sizeof(char*);  // execvp's argv for a script without #!
  return need;
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
    case kGroups:
    case kGid:
    case kUid:
      if (f.err != EPERM) break;
      return fmt::format("cannot switch to uid {} gid {}: {}: {} (steward runs as uid {}; only "
                         "root, or CAP_SETUID and CAP_SETGID, can switch users)",
                         req.identity->uid, req.identity->gid, kStages[f.stage], strerror(f.err),
                         geteuid());
    default:
      break;
  }
  return fmt::format("{}: {}", kStages[f.stage], strerror(f.err));
}

// A failure a retry cannot fix: the same start would fail the same way.
bool IsFinal(const ChildFailure& f) {
  switch (f.stage) {
    case kGroups:
    case kGid:
    case kUid:
    case kUidCheck:
      return f.err == EPERM;
    case kExec:
      return f.err == ENOENT || f.err == EACCES;
    default:
      return false;
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

void SetEnv(SpawnRequest* req, const std::string& key, const std::string& value) {
  if (req->inherit_env) {
    req->env = CurrentEnvironment();
    req->inherit_env = false;
  }
  std::string prefix = key + "=";
  for (std::string& e : req->env) {
    if (e.compare(0, prefix.size(), prefix) == 0) {
      e = prefix + value;
      return;
    }
  }
  req->env.push_back(prefix + value);
}

pid_t Spawn(const SpawnRequest& req, SpawnError* err) {
  if (req.argv.empty()) {
    err->message = "empty command";
    err->exit_code = 127;
    err->final = true;
    return -1;
  }
  // Prepared before the clone: the child must not allocate.
  std::vector<char*> argv = CStrings(req.argv);
  std::vector<char*> envp;
  if (!req.inherit_env) envp = CStrings(req.env);
  std::vector<std::pair<int, int>> moved(req.fds.size());
  Child c{&req, argv.data(), req.inherit_env ? nullptr : envp.data(), moved.data(), {}};

  char* stack = child_stack;
  size_t size = StackNeeded(req, c.envp);
  if (size > kStackSize) {
    size = (size + 4095) & ~size_t(4095);
    void* m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                   -1, 0);
    if (m == MAP_FAILED) {
      err->message = SysError("mmap", "a stack for " + req.argv[0], errno);
      return -1;
    }
    stack = static_cast<char*>(m);
  } else {
    size = kStackSize;
  }
  char** saved_environ = environ;
  pid_t pid = clone(RunChild, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
  int clone_errno = errno;
  environ = saved_environ;  // the child may have pointed it at envp
  if (stack != child_stack) munmap(stack, size);
  if (pid < 0) {
    err->message = SysError("clone", req.argv[0], clone_errno);
    return -1;
  }

  // The parent resumes after the exec: the child's process group already
  // exists, so it can be signalled at once.
  if (c.failure.stage < 0) return pid;  // exec'd

  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  err->message = Describe(req, c.failure);
  err->exit_code = c.failure.stage == kExec ? (c.failure.err == ENOENT ? 127 : 126) : 1;
  err->final = IsFinal(c.failure);
  return -1;
}

}  // namespace steward
