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

#include "harness.hpp"

namespace steward::testing::controlled {


using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// A services directory, a runtime directory and an event log in one place
// (as in supervisor_test.cpp), readable by nobody for the permission tests.
class Set {
 public:
  Set() {
    (void)mkdir((dir_ / "services").c_str(), 0755);
    (void)mkdir((dir_ / "run").c_str(), 0755);
    chmod(dir_.path().c_str(), 0755);
    WriteFile(log(), "", 0666);
  }
  std::string services() const { return dir_ / "services"; }
  std::string run() const { return dir_ / "run"; }
  std::string socket() const { return dir_ / "run/control.sock"; }
  std::string log() const { return dir_ / "events"; }
  std::string path(const std::string& name) const { return dir_ / name; }
  void Add(const std::string& name, std::string toml) {
    for (size_t at; (at = toml.find("@LOG")) != std::string::npos;) toml.replace(at, 4, log());
    for (size_t at; (at = toml.find("@DIR")) != std::string::npos;) toml.replace(at, 4, dir_.path());
    WriteFile(services() + "/" + name + ".toml", toml);
  }
  std::vector<std::string> Args(const std::string& config = "") const {
    return {"--services", services(), "--config", config, "--runtime-dir", run()};
  }
  std::vector<std::string> Events() const { return Lines(ReadFile(log())); }
  int Count(const std::string& event) const {
    auto ev = Events();
    return int(std::count(ev.begin(), ev.end(), event));
  }
  bool Has(const std::string& event) const { return Count(event) > 0; }
  // Position of the n-th (0-based) occurrence of an event; -1 when absent.
  int At(const std::string& event, int nth = 0) const {
    auto ev = Events();
    for (size_t i = 0; i < ev.size(); ++i) {
      if (ev[i] == event && nth-- == 0) return int(i);
    }
    return -1;
  }

 private:
  TempDir dir_;
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
    execv(argv[0], argv.data());
    _exit(126);
  }
  CtlResult r;
  auto end = std::chrono::steady_clock::now() + seconds(60);
  int st;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      r.err = "(timed out)";
      return r;
    }
    std::this_thread::sleep_for(milliseconds(5));
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
