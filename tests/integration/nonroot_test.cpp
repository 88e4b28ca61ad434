// steward as a non-root PID 1 (`docker run --user 1000:1000`, here
// `setpriv --reuid 1000 --regid 1000 --clear-groups` in a PID namespace):
// a `user =` it cannot take is a configuration error; the runtime directory
// falls back to /tmp/steward-1000, /dev/log says why it is missing and the
// fix, the control socket works, and services run as steward's own user.
#include <signal.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "control_support.hpp"
#include "harness.hpp"

namespace steward::testing {
namespace {

using controlled::Ctl;
using testing::Ctl;

constexpr int kUid = 1000, kGid = 1000;

// Whether uid 1000 can run the binary at all: a checkout under /root
// (mode 0700) is out of its reach, and then these tests cannot run.
bool StewardRunnableAsUser() {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) < 0 || setgid(kGid) < 0 || setuid(kUid) < 0) _exit(2);
    _exit(access(StewardBin(), X_OK) == 0 ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#define SKIP_UNLESS_RUNNABLE_AS_USER()                                                   \
  if (!StewardRunnableAsUser())                                                          \
    GTEST_SKIP() << StewardBin() << " is not executable by uid 1000 (a parent directory " \
                 << "is closed to it)"

// A services directory readable by uid 1000, kept visible in steward's
// private /tmp, and an output directory that uid 1000 may write.
struct NonRootSet {
  TempDir dir;
  NonRootSet() {
    mkdir((dir / "services").c_str(), 0755);
    mkdir((dir / "out").c_str(), 0755);
    (void)!chown((dir / "out").c_str(), kUid, kGid);
  }
  void Add(const std::string& name, const std::string& toml) {
    WriteFile(dir / ("services/" + name + ".toml"), toml);
  }
  std::vector<std::string> Args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"--services", dir / "services", "--config", ""};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  RunOptions Options() const {
    RunOptions o;
    o.uid = kUid;
    o.gid = kGid;
    o.private_run_tmp = true;
    o.keep = dir.path();
    return o;
  }
};

TEST(NonRoot, UserItCannotSwitchToIsAConfigurationErrorAtCheckAndStart) {
  SKIP_UNLESS_RUNNABLE_AS_USER();
  NonRootSet t;
  t.Add("web", "command = 'sleep 100'\nuser = \"nobody\"\n");
  std::string expected = "steward: error: " + t.dir.path() + "/services/web.toml:2:8: steward runs "
                         "as uid 1000; user = \"nobody\" needs root (or CAP_SETUID and "
                         "CAP_SETGID): run the container as root (the service still runs as its "
                         "user), or remove it to run the service as steward's own user";
  Process check(t.Args({"--check"}), t.Options());
  EXPECT_EQ(2, check.Wait());
  EXPECT_EQ(1u, Grep(check.Stderr(), expected).size()) << check.Stderr();
  Process start(t.Args(), t.Options());
  EXPECT_EQ(2, start.Wait());
  EXPECT_EQ(1u, Grep(start.Stderr(), expected).size()) << start.Stderr();
  EXPECT_EQ(1u, Grep(start.Stderr(), "1 configuration error; nothing was started").size());
}

TEST(NonRoot, RunsAsPid1WithItsOwnRuntimeDirControlSocketAndServices) {
  SKIP_UNLESS_RUNNABLE_AS_USER();
  NonRootSet t;
  // user = steward's own uid and gid: nothing to switch, so it is fine.
  t.Add("app", "command = \"echo app: uid $$(id -u) gid $$(id -g); exec sleep 1000\"\n"
               "user = \"1000:1000\"\n");
  t.Add("plain", "command = \"echo plain: uid $$(id -u); exec sleep 1000\"\n");
  Process p(t.Args(), t.Options());
  ASSERT_TRUE(WaitFor([&] {
    return !Grep(p.Stdout(), "app: uid 1000 gid 1000").empty() &&
           !Grep(p.Stdout(), "plain: uid 1000").empty();
  })) << p.Stdout() << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: cannot bind /dev/log: Permission denied; "
                                 "syslog(3) messages are not captured (steward runs as uid 1000; "
                                 "run it as root, where services keep their own user with `user "
                                 "=`, or set syslog_socket = \"\" in [log] to not offer one)")
                    .size())
      << p.Stderr();
  // /run/steward cannot be made (root's /run): the socket is in
  // /tmp/steward-1000. ctl runs as `docker exec --user 1000:1000` would, in
  // steward's namespaces as uid 1000: root's ctl refuses a directory uid
  // 1000 owns.
  std::string run = "/proc/" + std::to_string(p.pid()) + "/root/tmp/steward-1000";
  CtlOptions as_steward;
  as_steward.ns_of = p.pid();
  as_steward.uid = kUid;
  as_steward.gid = kGid;
  CtlResult r;
  ASSERT_TRUE(WaitFor([&] {
    r = Ctl({"health"}, as_steward);
    return r.code == 0;
  })) << r.out << r.err << p.Stderr();
  EXPECT_EQ("healthy: 2 services up and ready\n", r.out);
  struct stat st;
  ASSERT_EQ(0, stat((run + "/control.sock").c_str(), &st));
  EXPECT_EQ(uid_t(kUid), st.st_uid);
  EXPECT_TRUE(Grep(p.Stderr(), "setgroups").empty()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
