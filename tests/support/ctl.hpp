// `steward ctl` run to completion the way a user runs it (as root, as
// nobody, inside steward's namespaces), for every integration test that
// asks steward something.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "files.hpp"
#include "temp_dir.hpp"

namespace steward::testing {

const char* StewardBin();  // the binary under test (the integration harness)

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

struct CtlResult {
  int code = -1;
  std::string out, err;
};

struct CtlOptions {
  bool as_nobody = false;
  // As `docker exec --user UID:GID` runs it: in the PID and mount
  // namespaces of process ns_of (0: the test's), as uid/gid (-1: the
  // test's), with no supplementary groups.
  pid_t ns_of = 0;
  int uid = -1, gid = -1;
  std::string argv0;  // run under this path instead of the steward binary (stewardctl)
  std::map<std::string, std::string> env;
};

// Runs `steward ctl ARGS...` to completion (60 s at most) and collects what
// it printed.
inline CtlResult Ctl(const std::vector<std::string>& args, const CtlOptions& o = {}) {
  TempDir tmp;
  std::string out = tmp / "out", err = tmp / "err";
  std::string bin = o.argv0.empty() ? StewardBin() : o.argv0;
  std::vector<std::string> a = {bin};
  if (o.argv0.empty()) a.push_back("ctl");
  a.insert(a.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    for (auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);
    // By descriptor: steward's namespace may have a private /tmp that hides
    // the build (a clone under mktemp -d).
    int binfd = open(bin.c_str(), O_PATH | O_CLOEXEC);
    if (o.as_nobody && (setgroups(0, nullptr) < 0 || setgid(kNogroup) < 0 || setuid(kNobody) < 0))
      _exit(125);
    if (o.ns_of > 0) {
      // A PID namespace applies to children: ctl runs in a grandchild, so
      // that the namespace's /proc shows it (ASan reads /proc/self).
      std::string ns = "/proc/" + std::to_string(o.ns_of) + "/ns/";
      int pidns = open((ns + "pid").c_str(), O_RDONLY | O_CLOEXEC);
      int mnt = open((ns + "mnt").c_str(), O_RDONLY | O_CLOEXEC);
      if (pidns < 0 || mnt < 0 || setns(pidns, CLONE_NEWPID) < 0 || setns(mnt, CLONE_NEWNS) < 0)
        _exit(125);
      pid_t c = fork();
      if (c < 0) _exit(125);
      if (c > 0) {
        int cst;
        if (waitpid(c, &cst, 0) < 0) _exit(125);
        _exit(WIFEXITED(cst) ? WEXITSTATUS(cst) : 128 + WTERMSIG(cst));
      }
    }
    if (o.uid >= 0 && (setgroups(0, nullptr) < 0 || setgid(gid_t(o.gid)) < 0 || setuid(uid_t(o.uid)) < 0))
      _exit(125);
    if (binfd >= 0) syscall(SYS_execveat, binfd, "", argv.data(), environ, AT_EMPTY_PATH);
    execv(argv[0], argv.data());
    _exit(126);
  }
  CtlResult r;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int st;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      r.err = "(timed out)";
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

inline CtlOptions AsNobody() {
  CtlOptions o;
  o.as_nobody = true;
  return o;
}

// ctl against the runtime directory of a steward, named as users of a
// container do: STEWARD_RUNTIME_DIR.
inline CtlResult RunCtl(const std::string& runtime_dir, const std::vector<std::string>& args) {
  CtlOptions o;
  o.env["STEWARD_RUNTIME_DIR"] = runtime_dir;
  return Ctl(args, o);
}

}  // namespace steward::testing
