// Spawn(): the child shares steward's memory until it execs, so what it does
// there must leave steward as it was, and every failure must come back as a
// message and an exit code.
#include "steward/pid1/spawn.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

extern char** environ;

namespace steward {
namespace {

int WaitFor(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int OpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

class SpawnTest : public ::testing::Test {
 protected:

  void WriteFile(const std::string& name, const std::string& text, mode_t mode) {
    std::ofstream(dir_ + "/" + name) << text;
    chmod((dir_ + "/" + name).c_str(), mode);
  }

  // Runs req with its stdout into a pipe; returns the output, *code the exit.
  std::string Run(SpawnRequest req, int* code) {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    req.fds.emplace_back(1, p[1]);
    SpawnError err;
    pid_t pid = Spawn(req, &err);
    close(p[1]);
    EXPECT_GT(pid, 0) << err.message;
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, n);
    close(p[0]);
    *code = pid > 0 ? WaitFor(pid) : -1;
    return out;
  }

  testing::TempDir tmp_{"spawn"};
  std::string dir_ = tmp_.path();
};

TEST_F(SpawnTest, ExecsWithArgumentsAndReturnsThePid) {
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "echo \"$0 $1\"; exit 7", "a b", "c"};
  req.inherit_env = true;
  int code;
  EXPECT_EQ(Run(req, &code), "a b c\n");
  EXPECT_EQ(code, 7);
}

TEST_F(SpawnTest, TheChildLeadsAGroupOfItsOwnBeforeSpawnReturns) {
  SpawnRequest req;
  req.argv = {"/bin/sleep", "5"};
  req.inherit_env = true;
  SpawnError err;
  pid_t pid = Spawn(req, &err);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(getpgid(pid), pid);
  EXPECT_EQ(kill(-pid, SIGKILL), 0);
  EXPECT_EQ(WaitFor(pid), 128 + SIGKILL);
}

TEST_F(SpawnTest, NotFoundIs127WithAMessageNamingTheCommand) {
  SpawnRequest req;
  req.argv = {"steward-no-such-program"};
  req.inherit_env = true;
  SpawnError err;
  EXPECT_EQ(Spawn(req, &err), -1);
  EXPECT_EQ(err.exit_code, 127);
  EXPECT_EQ(err.message, "steward-no-such-program: not found (check the command and PATH)");
  EXPECT_TRUE(err.final);  // a retry cannot fix it
}

TEST_F(SpawnTest, NotExecutableIs126) {
  WriteFile("data", "not a program\n", 0644);
  SpawnRequest req;
  req.argv = {dir_ + "/data"};
  req.inherit_env = true;
  SpawnError err;
  EXPECT_EQ(Spawn(req, &err), -1);
  EXPECT_EQ(err.exit_code, 126);
  EXPECT_NE(err.message.find("cannot execute: Permission denied"), std::string::npos)
      << err.message;
  EXPECT_TRUE(err.final);
}

// docker run --user 1000 with a service's user = "nobody": EPERM, final.
// Run in a child that is uid 1000 without capabilities, as steward would be.
TEST_F(SpawnTest, AnIdentitySwitchWithoutPrivilegeIsFinalAndSaysWhy) {
  int p[2];
  ASSERT_EQ(0, pipe(p));
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    if (setgroups(0, nullptr) < 0 || setgid(1000) < 0 || setuid(1000) < 0) _exit(2);
    Identity id;
    id.set = true;
    id.uid = 65534;
    id.gid = 65534;
    SpawnRequest req;
    req.argv = {"/bin/true"};
    req.inherit_env = true;
    req.identity = &id;
    SpawnError err;
    if (Spawn(req, &err) != -1) _exit(3);
    std::string out = err.message + (err.final ? " [final]" : "");
    (void)!write(p[1], out.data(), out.size());
    _exit(0);
  }
  close(p[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  close(p[0]);
  EXPECT_EQ(0, WaitFor(pid));
  EXPECT_EQ("cannot switch to uid 65534 gid 65534: setgroups: Operation not permitted (steward "
            "runs as uid 1000; only root, or CAP_SETUID and CAP_SETGID, can switch users) [final]",
            out);
}

// Its own uid and gid (user = "1000:1000" under --user 1000:1000): the
// groups cannot be set without CAP_SETGID, and need not be.
TEST_F(SpawnTest, StewardsOwnUserNeedsNoPrivilege) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) < 0 || setgid(1000) < 0 || setuid(1000) < 0) _exit(2);
    Identity id;
    id.set = true;
    id.uid = 1000;
    id.gid = 1000;
    id.groups = {1000, 27};
    SpawnRequest req;
    req.argv = {"/bin/sh", "-c", "test \"$(id -u):$(id -g)\" = 1000:1000"};
    req.inherit_env = true;
    req.identity = &id;
    SpawnError err;
    pid_t child = Spawn(req, &err);
    if (child < 0) _exit(4);
    int st;
    waitpid(child, &st, 0);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 5);
  }
  EXPECT_EQ(0, WaitFor(pid));
}

TEST_F(SpawnTest, AMissingWorkingDirectoryIsNamed) {
  SpawnRequest req;
  req.argv = {"/bin/true"};
  req.inherit_env = true;
  req.working_dir = dir_ + "/gone";
  SpawnError err;
  EXPECT_EQ(Spawn(req, &err), -1);
  EXPECT_EQ(err.exit_code, 1);
  EXPECT_EQ(err.message, "working_dir " + dir_ + "/gone: No such file or directory");
}

TEST_F(SpawnTest, TheWorkingDirectoryApplies) {
  SpawnRequest req;
  req.argv = {"/bin/pwd"};
  req.inherit_env = true;
  req.working_dir = dir_;
  int code;
  EXPECT_EQ(Run(req, &code), dir_ + "\n");
}

TEST_F(SpawnTest, AnInheritedEnvironmentIsStewardsOwn) {
  setenv("STEWARD_SPAWN_TEST", "inherited", 1);
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "echo \"$STEWARD_SPAWN_TEST\""};
  req.inherit_env = true;
  int code;
  EXPECT_EQ(Run(req, &code), "inherited\n");
  unsetenv("STEWARD_SPAWN_TEST");
}

TEST_F(SpawnTest, AGivenEnvironmentIsAllTheChildGetsAndStewardKeepsItsOwn) {
  setenv("STEWARD_SPAWN_TEST", "steward's", 1);
  char** before = environ;
  SpawnRequest req;
  req.argv = {"/bin/sh", "-c", "echo \"[$STEWARD_SPAWN_TEST] $ONLY\""};
  req.env = {"ONLY=this", "PATH=/usr/bin:/bin"};
  int code;
  EXPECT_EQ(Run(req, &code), "[] this\n");
  EXPECT_STREQ(getenv("STEWARD_SPAWN_TEST"), "steward's");
  EXPECT_EQ(getenv("ONLY"), nullptr);
  EXPECT_EQ(environ, before);  // the child pointed it at its own, in our memory
  unsetenv("STEWARD_SPAWN_TEST");
}

TEST_F(SpawnTest, TheProgramIsSearchedInTheChildsPath) {
  WriteFile("steward-spawn-probe", "#!/bin/sh\necho found\n", 0755);
  SpawnRequest req;
  req.argv = {"steward-spawn-probe"};
  req.env = {"PATH=/nonexistent:" + dir_};
  int code;
  EXPECT_EQ(Run(req, &code), "found\n");
  EXPECT_EQ(code, 0);
}

TEST_F(SpawnTest, APathLongerThanTheStackStillWorks) {
  WriteFile("steward-spawn-probe", "#!/bin/sh\necho found\n", 0755);
  // Above the child's 64 KiB stack, below the kernel's 128 KiB per string.
  std::string path;
  while (path.size() < 100 * 1024) path += "/nonexistent/steward/spawn:";
  SpawnRequest req;
  req.argv = {"steward-spawn-probe"};
  req.env = {"PATH=" + path + dir_};
  int code;
  EXPECT_EQ(Run(req, &code), "found\n");
}

TEST_F(SpawnTest, AScriptWithoutAnInterpreterLineRunsUnderSh) {
  WriteFile("script", "echo from-sh \"$1\"\n", 0755);
  SpawnRequest req;
  req.argv = {dir_ + "/script", "arg"};
  req.inherit_env = true;
  int code;
  EXPECT_EQ(Run(req, &code), "from-sh arg\n");
}

TEST_F(SpawnTest, DescriptorsAreSetUpAndMinusOneIsDevNull) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  SpawnRequest req;
  // fd 3 gets the pipe too: a source that is also a target must survive.
  req.argv = {"/bin/sh", "-c", "cat; echo to-three >&3"};
  req.inherit_env = true;
  req.fds = {{0, -1}, {3, p[1]}};
  int code;
  EXPECT_EQ(Run(req, &code), "");
  close(p[1]);
  char buf[64] = {};
  EXPECT_EQ(read(p[0], buf, sizeof buf), 9);
  EXPECT_STREQ(buf, "to-three\n");
  close(p[0]);
}

TEST_F(SpawnTest, SpawningLeavesNoDescriptorBehind) {
  int before = OpenFds();
  for (int i = 0; i < 50; ++i) {
    SpawnRequest req;
    req.argv = {i % 2 ? "/bin/true" : "steward-no-such-program"};
    req.inherit_env = true;
    req.fds = {{0, -1}};
    SpawnError err;
    pid_t pid = Spawn(req, &err);
    if (pid > 0) WaitFor(pid);
  }
  EXPECT_EQ(OpenFds(), before);
}

TEST(SpawnSetEnv, CopiesTheInheritedEnvironmentThenReplacesOrAdds) {
  setenv("STEWARD_SPAWN_TEST", "old", 1);
  SpawnRequest req;
  req.inherit_env = true;
  SetEnv(&req, "STEWARD_SPAWN_TEST", "new");
  SetEnv(&req, "STEWARD_SPAWN_ADDED", "1");
  EXPECT_FALSE(req.inherit_env);
  int found = 0;
  for (const std::string& e : req.env) {
    if (e == "STEWARD_SPAWN_TEST=new" || e == "STEWARD_SPAWN_ADDED=1") ++found;
    EXPECT_NE(e, "STEWARD_SPAWN_TEST=old");
  }
  EXPECT_EQ(found, 2);
  EXPECT_GT(req.env.size(), 2u);  // the rest of steward's environment came along
  unsetenv("STEWARD_SPAWN_TEST");
}

}  // namespace
}  // namespace steward
