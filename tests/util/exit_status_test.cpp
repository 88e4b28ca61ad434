#include "steward/util/exit_status.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

namespace steward {
namespace {

// Wait statuses built as the kernel encodes them.
int Exited(int code) { return (code & 0xff) << 8; }
int Signaled(int sig, bool core = false) { return sig | (core ? 0x80 : 0); }

TEST(WaitStatus, Table) {
  struct Case {
    int status;
    int code;
    const char* text;
    bool success;
  } cases[] = {
      {Exited(0), 0, "exited with status 0", true},
      {Exited(1), 1, "exited with status 1", false},
      {Exited(3), 3, "exited with status 3", false},
      {Exited(255), 255, "exited with status 255", false},
      {Signaled(SIGTERM), 143, "killed by SIGTERM", false},
      {Signaled(SIGKILL), 137, "killed by SIGKILL", false},
      {Signaled(SIGUSR1), 138, "killed by SIGUSR1", false},
      {Signaled(SIGSEGV, true), 139, "killed by SIGSEGV (core dumped)", false},
      {Signaled(SIGRTMIN + 1), 128 + SIGRTMIN + 1, "killed by SIGRTMIN+1", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.code, ExitCodeOf(c.status)) << c.text;
    EXPECT_EQ(c.text, DescribeWaitStatus(c.status));
    EXPECT_EQ(c.success, IsSuccess(c.status)) << c.text;
  }
}

TEST(WaitStatus, AgreesWithTheKernel) {
  for (int code : {0, 1, 42, 255}) {
    pid_t pid = fork();
    if (pid == 0) _exit(code);
    int st;
    ASSERT_EQ(pid, waitpid(pid, &st, 0));
    EXPECT_EQ(code, ExitCodeOf(st));
  }
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  kill(pid, SIGKILL);
  int st;
  ASSERT_EQ(pid, waitpid(pid, &st, 0));
  EXPECT_EQ(137, ExitCodeOf(st));
}

}  // namespace
}  // namespace steward
