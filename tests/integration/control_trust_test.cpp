// The ctl client against a control socket someone else made (SPEC §1
// "Trust"): `nobody` makes /tmp/steward-0 and listens on its control.sock
// before root's steward does; root's `steward ctl health` must refuse it,
// naming the path, the owner and the fix, and never connect (so nobody
// can answer `health` or take a `shutdown`). /tmp and /run are tmpfs of a
// mount namespace of the test's own: the machine's are never touched.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace steward::testing {
namespace {

constexpr uid_t kNobody = 65534;

// In a child with a private /tmp and /run: `nobody` binds
// /tmp/steward-0/control.sock and listens (reporting "connected" on `out`
// if anyone ever connects), then root runs `steward ctl ARGS`, its stdout
// and stderr on `out` too. Returns ctl's exit status; *text is what was
// written on `out`.
int CtlAgainstNobodysSocket(const std::vector<std::string>& args, std::string* text) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return -1;
  pid_t child = fork();
  if (child == 0) {
    close(out[0]);
    // The binary by descriptor: the tmpfs on /tmp below hides a build that
    // lives under /tmp (a clone under mktemp -d).
    int bin = open(StewardBin(), O_PATH | O_CLOEXEC);
    if (bin < 0) _exit(119);
    if (unshare(CLONE_NEWNS) < 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ||
        mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") < 0 ||
        mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
      _exit(120);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) _exit(121);
    pid_t attacker = fork();
    if (attacker == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (setgroups(0, nullptr) < 0 || setgid(kNobody) < 0 || setuid(kNobody) < 0) _exit(122);
      if (mkdir("/tmp/steward-0", 0755) < 0) _exit(123);
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a = {};
      a.sun_family = AF_UNIX;
      strcpy(a.sun_path, "/tmp/steward-0/control.sock");
      if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(s, 4) < 0) _exit(124);
      (void)!write(ready[1], "r", 1);
      struct pollfd p = {s, POLLIN, 0};
      if (poll(&p, 1, 30000) == 1) {
        (void)!write(out[1], "connected\n", 10);  // what root must never do
        int c = accept(s, nullptr, nullptr);
        (void)!write(c, "0\nhealthy: says nobody\n", 23);
      }
      _exit(0);
    }
    char r;
    close(ready[1]);
    if (read(ready[0], &r, 1) != 1) _exit(125);
    pid_t ctl = fork();
    if (ctl == 0) {
      dup2(out[1], 1);
      dup2(out[1], 2);
      std::vector<std::string> a = {StewardBin(), "ctl"};
      a.insert(a.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& s : a) argv.push_back(s.data());
      argv.push_back(nullptr);
      unsetenv("STEWARD_RUNTIME_DIR");
      syscall(SYS_execveat, bin, "", argv.data(), environ, AT_EMPTY_PATH);
      _exit(126);
    }
    int st;
    waitpid(ctl, &st, 0);
    kill(attacker, SIGKILL);
    waitpid(attacker, nullptr, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 127);
  }
  close(out[1]);
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) text->append(buf, size_t(n));
  close(out[0]);
  int st;
  waitpid(child, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(ControlTrust, RootRefusesASocketNobodyMadeInTmp) {
  std::string text;
  EXPECT_EQ(1, CtlAgainstNobodysSocket({"health"}, &text));
  EXPECT_EQ("steward ctl: refusing /tmp/steward-0/control.sock: its directory /tmp/steward-0 "
            "belongs to uid 65534, not to you (uid 0) or root, so anyone may have made the "
            "socket; remove /tmp/steward-0 or point --runtime-dir at steward's runtime "
            "directory\n",
            text);
  text.clear();
  EXPECT_EQ(1, CtlAgainstNobodysSocket({"shutdown"}, &text));
  EXPECT_EQ(std::string::npos, text.find("connected")) << text;
}

TEST(ControlTrust, VerboseNamesTheSocketUsed) {
  TempDir t;
  mkdir((t / "services").c_str(), 0755);
  mkdir((t / "run").c_str(), 0755);
  WriteFile(t / "services/idle.toml", "command = \"while :; do sleep 1; done\"\n");
  Process p({"--services", t / "services", "--config", "", "--runtime-dir", t / "run"});
  ASSERT_TRUE(WaitFor([&] { return Exists(t / "run/control.sock"); })) << p.Stderr();
  std::string cmd = std::string("'") + StewardBin() + "' ctl --verbose --runtime-dir '" + t / "run" +
                    "' status >/dev/null 2>'" + t / "err" + "'";
  ASSERT_EQ(0, system(cmd.c_str()));
  EXPECT_EQ("steward ctl: using " + t / "run/control.sock" + "\n", ReadFile(t / "err"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
