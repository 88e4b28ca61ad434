// Services that daemonize (`pg_ctl start`, a script that backgrounds its
// server and exits 0): steward says what was left running, and with
// pid_file supervises the daemon by its pid file (systemd's Type=forking).
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "supervisor_support.hpp"

namespace steward::testing {
namespace {

using supervised::Set;

TEST(Daemon, ExitZeroLeavingAProcessBehindIsSaid) {
  Set set;
  // The daemon detaches (setsid) and says so before its parent exits 0.
  set.Add("pgctl", "command = \"\"\"\n"
                   "setsid sh -c 'echo $$$$ > @DIR/up; exec sleep 1000' </dev/null >/dev/null 2>&1 &\n"
                   "while [ ! -s @DIR/up ]; do sleep 0.01; done\n"
                   "exit 0\n\"\"\"\n");
  Process p(set.Args());
  std::vector<std::string> said;
  ASSERT_TRUE(WaitFor([&] {
    said = Grep(p.Stderr(), "steward: warning: pgctl: exited 0 after ");
    return !said.empty();
  })) << p.Stderr();
  std::string pid = Lines(ReadFile(set.path("up"))).at(0);
  EXPECT_NE(std::string::npos,
            said[0].find(" s leaving pid " + pid + " running: it may have daemonized; run it in "
                         "the foreground (or set pid_file to supervise the daemon by its pid "
                         "file)"))
      << said[0];
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

// A classic daemon: forks, detaches, writes its pid file, and the command
// exits 0. The daemon crashes (exit 3) when @DIR/crash appears.
const char* kDaemonize =
    "#!/bin/sh\n"
    "rm -f @DIR/daemon.pid\n"
    "setsid sh -c 'echo $$ > @DIR/daemon.pid.new && mv @DIR/daemon.pid.new @DIR/daemon.pid\n"
    "  while [ ! -e @DIR/crash ]; do sleep 0.02; done\n"
    "  rm -f @DIR/crash; exit 3' </dev/null >/dev/null 2>&1 &\n"
    "while [ ! -s @DIR/daemon.pid ]; do sleep 0.01; done\n"
    "exit 0\n";

std::string WithDir(std::string text, const Set& set) {
  std::string dir = set.path("");
  dir.pop_back();  // the trailing '/'
  for (size_t at; (at = text.find("@DIR")) != std::string::npos;) text.replace(at, 4, dir);
  return text;
}

TEST(Daemon, PidFileMakesTheDaemonTheServicesProcess) {
  Set set;
  WriteFile(set.path("daemonize.sh"), WithDir(kDaemonize, set), 0755);
  set.Add("daemon", "command = [\"@DIR/daemonize.sh\"]\npid_file = \"@DIR/daemon.pid\"\n"
                    "restart_delay = \"50ms\"\n");
  Process p(set.Args());
  auto adopted = [&] { return Grep(p.Stderr(), "steward: info: daemon: daemonized; supervising pid ");
  };
  ASSERT_TRUE(WaitFor([&] { return adopted().size() == 1; })) << p.Stderr();
  std::string pid = Lines(ReadFile(set.path("daemon.pid"))).at(0);
  EXPECT_EQ("steward: info: daemon: daemonized; supervising pid " + pid + " from " +
                set.path("daemon.pid"),
            adopted()[0]);
  // Its exit is the service's exit: restarted like any longrun.
  WriteFile(set.path("crash"), "");
  ASSERT_TRUE(WaitFor([&] { return adopted().size() == 2; })) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: daemon: exited with status 3; restarting").size())
      << p.Stderr();
  EXPECT_TRUE(Grep(p.Stderr(), "leaving pid").empty()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: info: daemon: stopped (killed by SIGTERM)").size())
      << p.Stderr();
}

TEST(Daemon, PidFileNamingAProcessNotItsOwnIsAFailedStart) {
  Set set;
  set.Add("liar", "command = \"echo 4000000 > @DIR/liar.pid\"\npid_file = \"@DIR/liar.pid\"\n"
                  "restart = \"no\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "liar: failed for good").empty(); }))
      << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: error: liar: exited 0, but pid_file: " +
                                     set.path("liar.pid") + ": pid 4000000 is not a process "
                                     "below steward (the daemon must be started by the command "
                                     "and keep running); counting it as a failed start")
                    .size())
      << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

// Playing the attacker: a service running as nobody writes another
// service's pid (root's) into its pid file, to have steward signal it.
TEST(Daemon, PidFileNamingAnotherServicesProcessIsRefused) {
  Set set;
  set.Add("victim", "command = \"echo $$$$ > @DIR/victim.pid; exec sleep 1000\"\n");
  set.Add("liar", "depends_on = [\"victim\"]\nuser = \"nobody\"\nrestart = \"no\"\n"
                  "command = \"while [ ! -s @DIR/victim.pid ]; do sleep 0.01; done; "
                  "cat @DIR/victim.pid > @DIR/liar.pid\"\npid_file = \"@DIR/liar.pid\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "liar: failed for good").empty(); }))
      << p.Stderr();
  std::string pid = Lines(ReadFile(set.path("victim.pid"))).at(0);
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: error: liar: exited 0, but pid_file: " +
                                     set.path("liar.pid") + ": pid " + pid + " runs as uid 0, "
                                     "not as the service's user (uid 65534); counting it as a "
                                     "failed start")
                    .size())
      << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: info: victim: stopped").size()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
