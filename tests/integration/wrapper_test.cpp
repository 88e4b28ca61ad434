// Wrapper mode (SPEC §2): steward in place of tini, with no configuration.
// These re-implement what tini's and dumb-init's own suites check, against
// the real static binary as PID 1 in a fresh PID namespace.
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// No services directory and no global file: wrapper mode.
std::vector<std::string> Wrap(std::vector<std::string> program,
                              std::vector<std::string> options = {}) {
  std::vector<std::string> args = {"--services", "/nonexistent/services", "--config", ""};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("--");
  args.insert(args.end(), program.begin(), program.end());
  return args;
}

double SecondsSince(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

TEST(Wrapper, EveryExitCodePassesThrough) {
  for (int code = 0; code <= 255; ++code) {
    Process p(Wrap({"/bin/sh", "-c", "exit " + std::to_string(code)}));
    ASSERT_EQ(code, p.Wait()) << p.Stderr();
  }
}

TEST(Wrapper, KilledBySignalGives128PlusSignal) {
  for (int sig : {SIGTERM, SIGKILL, SIGUSR1}) {
    Process p(Wrap({"/bin/sh", "-c", "kill -" + std::to_string(sig) + " $$"}));
    EXPECT_EQ(128 + sig, p.Wait()) << sig << p.Stderr();
  }
}

TEST(Wrapper, ProgramNotFoundIs127AndNamed) {
  Process p(Wrap({"/no/such/program"}));
  EXPECT_EQ(127, p.Wait());
  EXPECT_NE(std::string::npos, p.Stderr().find("/no/such/program: not found")) << p.Stderr();
}

TEST(Wrapper, ProgramNotExecutableIs126AndNamed) {
  TempDir dir;
  WriteFile(dir / "script", "#!/bin/sh\nexit 0\n", 0644);
  Process p(Wrap({dir / "script"}));
  EXPECT_EQ(126, p.Wait());
  EXPECT_NE(std::string::npos, p.Stderr().find(dir / "script")) << p.Stderr();
  EXPECT_NE(std::string::npos, p.Stderr().find("Permission denied")) << p.Stderr();
}

TEST(Wrapper, StdinReachesTheChild) {
  RunOptions o;
  o.stdin_data = "hello through steward\n";
  Process p(Wrap({"/bin/cat"}), o);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ("hello through steward\n", p.Stdout());
}

TEST(Wrapper, EveryCatchableSignalReachesTheChild) {
  TempDir dir;
  std::string log = dir / "signals";
  Process p(Wrap({STEWARD_TEST_HELPER, "record", log}));
  ASSERT_TRUE(WaitFor([&] { return ReadFile(log).find("ready") != std::string::npos; }));
  std::vector<int> sent;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGTTIN || sig == SIGTTOU)
      continue;
    if (sig > SIGSYS && sig < SIGRTMIN) continue;  // glibc's own
    p.Signal(sig);
    std::string want = "\n" + std::to_string(sig) + "\n";
    ASSERT_TRUE(WaitFor([&] { return ReadFile(log).find(want) != std::string::npos; },
                        seconds(10)))
        << "signal " << sig << " did not reach the child; got:\n" << ReadFile(log);
    sent.push_back(sig);
  }
  EXPECT_GT(sent.size(), 50u);  // real-time signals included
  p.Signal(SIGKILL);
  p.Wait();
}

TEST(Wrapper, OrphanedGrandchildrenLeaveNoZombie) {
  TempDir dir;
  // 100 grandchildren orphaned at once, re-parented to steward (PID 1); the
  // main program runs on until the test is done looking.
  Process p(Wrap({"/bin/sh", "-c",
                  "i=0; while [ $i -lt 100 ]; do (sleep 0.2 &); i=$((i+1)); done; touch " +
                      dir / "forked" + "; while [ ! -e " + dir / "done" +
                      " ]; do sleep 0.05; done"}));
  ASSERT_TRUE(WaitFor([&] { return Exists(dir / "forked"); }));
  // Every orphan has ended (0.2 s each, longer on a loaded machine): reaped,
  // only the main program is left.
  WaitFor([&] { return Children(p.pid()).size() <= 1; });
  std::vector<pid_t> children = Children(p.pid());
  int zombies = 0;
  for (pid_t c : children) zombies += IsZombie(c);
  EXPECT_EQ(0, zombies);
  EXPECT_EQ(1u, children.size()) << "only the main program should remain";
  WriteFile(dir / "done", "");
  EXPECT_EQ(0, p.Wait());
}

TEST(Wrapper, SubreaperOutsideANamespace) {
  RunOptions o;
  o.new_pid_namespace = false;
  // The grandchild is orphaned while steward runs; as child subreaper,
  // steward adopts and reaps it (-w logs every reaped orphan, in tini's words).
  Process p(Wrap({"/bin/sh", "-c", "(sleep 0.3 &); sleep 1.5"}, {"-w"}), o);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: Reaped zombie process with pid=").size()) << p.Stderr();
}

TEST(Wrapper, RemapExitCode) {
  Process p(Wrap({"/bin/sh", "-c", "exit 3"}, {"-e", "3"}));
  EXPECT_EQ(0, p.Wait());
  Process q(Wrap({"/bin/sh", "-c", "exit 4"}, {"-e", "3"}));
  EXPECT_EQ(4, q.Wait());
  Process r(Wrap({"/bin/sh", "-c", "kill -TERM $$"}, {"-e", "143"}));
  EXPECT_EQ(0, r.Wait());
}

TEST(Wrapper, LeftoversHonouringTermEndAtOnce) {
  // The leftover escaped the group (setsid), so only step 4 reaches it.
  auto t0 = steady_clock::now();
  Process p(Wrap({"/bin/sh", "-c", "setsid sleep 600 & sleep 0.2; exit 7"}, {"--grace", "60s"}));
  EXPECT_EQ(7, p.Wait(seconds(50)));
  // Did not wait the 60 s grace out: the leftover died of SIGTERM.
  EXPECT_LT(SecondsSince(t0), 50.0);
}

TEST(Wrapper, LeftoversInTheGroupGetTermWhenMainExits) {
  auto t0 = steady_clock::now();
  Process p(Wrap({"/bin/sh", "-c", "sleep 600 & sleep 0.2; exit 5"}, {"--grace", "60s"}));
  EXPECT_EQ(5, p.Wait(seconds(50)));
  EXPECT_LT(SecondsSince(t0), 50.0);
}

TEST(Wrapper, LeftoversIgnoringTermAreKilledAfterGrace) {
  auto t0 = steady_clock::now();
  Process p(Wrap({"/bin/sh", "-c", "setsid sh -c \"trap '' TERM; exec sleep 600\" & sleep 0.3"},
                 {"--grace", "1500ms"}));
  EXPECT_EQ(0, p.Wait(seconds(50)));
  // Killed after the grace, not before.
  EXPECT_GE(SecondsSince(t0), 1.5);
  EXPECT_NE(std::string::npos, p.Stderr().find("SIGKILL")) << p.Stderr();
}

TEST(Wrapper, IgnoredSignalStaysIgnoredInTheChild) {
  RunOptions o;
  o.ignore_signals = {SIGINT};
  Process p(Wrap({STEWARD_TEST_HELPER, "disposition", std::to_string(SIGINT)}), o);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ("ignored unblocked\n", p.Stdout());
  Process q(Wrap({STEWARD_TEST_HELPER, "disposition", std::to_string(SIGINT)}));
  EXPECT_EQ(0, q.Wait());
  EXPECT_EQ("default unblocked\n", q.Stdout());
}

TEST(Wrapper, BlockedSignalStaysBlockedInTheChild) {
  RunOptions o;
  o.block_signals = {SIGUSR1};
  Process p(Wrap({STEWARD_TEST_HELPER, "disposition", std::to_string(SIGUSR1)}), o);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ("default blocked\n", p.Stdout());
}

TEST(Wrapper, JobControlSignalsAreDefaultInTheChild) {
  for (int sig : {SIGTTIN, SIGTTOU, SIGCHLD}) {
    Process p(Wrap({STEWARD_TEST_HELPER, "disposition", std::to_string(sig)}));
    EXPECT_EQ(0, p.Wait());
    EXPECT_EQ("default unblocked\n", p.Stdout()) << sig;
  }
}

TEST(Wrapper, DashDashRunsAProgramNamedLikeAnOption) {
  TempDir dir;
  WriteFile(dir / "-h", "#!/bin/sh\necho ran -h\n", 0755);
  RunOptions o;
  o.env["PATH"] = dir.path() + ":/usr/bin:/bin";
  Process p(Wrap({"-h"}), o);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ("ran -h\n", p.Stdout());
}

// steward blocks every signal before it spawns its child, so once the child
// exists a signal is queued, never dropped (a namespace's PID 1 ignores a
// signal it has no handler for: sent earlier, under ASan, it was lost).
void WaitForChild(const Process& p) {
  ASSERT_TRUE(WaitFor([&] { return !Children(p.pid()).empty(); }, seconds(20)))
      << "steward started no child";
}

// The shell (steward's child) runs `comm` as its own child: the signal the
// test sends next meets the command it is meant for, not the shell between
// two commands (under load the marker's `touch` could still be running; a
// SIGINT then was seen lost: steward still waited for `sleep 30` 25 s later).
void WaitForShellsChild(const Process& p, const std::string& comm) {
  ASSERT_TRUE(WaitFor([&] {
    for (pid_t sh : Children(p.pid())) {
      for (pid_t c : Children(sh)) {
        if (ReadFile("/proc/" + std::to_string(c) + "/comm") == comm + "\n") return true;
      }
    }
    return false;
  }, seconds(20))) << "the shell did not start " << comm;
}

TEST(Wrapper, SigintEndsShellAndSleepAtOnceInGroupMode) {
  auto t0 = steady_clock::now();
  TempDir dir;
  // The marker: sh runs, so steward has its signals blocked.
  Process p(Wrap({"/bin/sh", "-c", "touch " + dir / "up" + "; sleep 30; echo survived"}));
  WaitForChild(p);
  ASSERT_TRUE(WaitFor([&] { return Exists(dir / "up"); }, seconds(20)));
  WaitForShellsChild(p, "sleep");
  p.Signal(SIGINT);
  EXPECT_EQ(128 + SIGINT, p.Wait(seconds(25)));
  EXPECT_LT(SecondsSince(t0), 25.0);  // well before sleep 30 would end
  EXPECT_EQ("", p.Stdout());
}

TEST(Wrapper, ProcessKillModeSignalsOnlyTheChild) {
  TempDir dir;
  // sh gets SIGINT (forwarded to it alone); its sleep does not, so sh waits.
  Process p(Wrap({"/bin/sh", "-c",
                  "trap 'echo got-int' INT; touch " + dir / "armed" + "; sleep 2; echo done"},
                 {"--kill-mode", "process"}));
  WaitForChild(p);
  ASSERT_TRUE(WaitFor([&] { return Exists(dir / "armed"); }, seconds(20)));
  WaitForShellsChild(p, "sleep");
  p.Signal(SIGINT);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ("got-int\ndone\n", p.Stdout());
}

TEST(Wrapper, JobControlUnderAPseudoTerminal) {
  int master, slave;
  ASSERT_EQ(0, openpty(&master, &slave, nullptr, nullptr, nullptr));
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    close(master);
    execl(StewardBin(), StewardBin(), "--services", "/nonexistent", "--config", "", "--",
          "/bin/sh", "-i", (char*)nullptr);
    _exit(126);
  }
  close(slave);
  std::string out;
  auto read_until = [&](const std::string& needle) {
    auto end = steady_clock::now() + seconds(20);
    while (steady_clock::now() < end && out.find(needle) == std::string::npos) {
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(master, &fds);
      timeval tv = {0, 100000};
      if (select(master + 1, &fds, nullptr, nullptr, &tv) > 0) {
        char buf[512];
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, size_t(n));
      }
    }
    return out.find(needle) != std::string::npos;
  };
  // Quoted so that the terminal's echo of the command does not match.
  const char cmd[] = "echo \"F\"\"LAGS=$-=\"\n";
  ASSERT_EQ(ssize_t(sizeof cmd - 1), write(master, cmd, sizeof cmd - 1));
  ASSERT_TRUE(read_until("FLAGS=")) << out;
  size_t at = out.find("FLAGS=");
  ASSERT_TRUE(read_until("=\r\n")) << out;
  std::string flags = out.substr(at + 6, out.find('=', at + 6) - at - 6);
  EXPECT_NE(std::string::npos, flags.find('m')) << "no job control; flags: " << flags;
  const char quit[] = "exit 3\n";
  ASSERT_EQ(ssize_t(sizeof quit - 1), write(master, quit, sizeof quit - 1));
  int st;
  ASSERT_EQ(pid, waitpid(pid, &st, 0));
  EXPECT_EQ(3, WEXITSTATUS(st));
  close(master);
}

TEST(Wrapper, NoWakeUpsWhileTheChildSleeps) {
  Process p(Wrap({"/bin/sleep", "30"}));
  WaitForChild(p);
  ASSERT_TRUE(WaitUntilQuiet(p.pid())) << "steward never settled";
  long before = VoluntarySwitches(p.pid());
  std::this_thread::sleep_for(seconds(3));
  long after = VoluntarySwitches(p.pid());
  ASSERT_GE(before, 0);
  EXPECT_EQ(before, after) << "steward woke up while nothing happened";
  p.Signal(SIGTERM);
  EXPECT_EQ(128 + SIGTERM, p.Wait());
}

}  // namespace
}  // namespace steward::testing
