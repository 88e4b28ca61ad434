// The runtime directory (SPEC §1) as PID 1 makes it: with its parents when
// they are missing (a FROM scratch image has no /run), and when it cannot be
// made, a warning and a steward that runs on without control socket.
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace steward::testing {
namespace {

std::string Ctl(const std::string& dir, const std::string& verb, int* code) {
  std::string cmd = std::string("'") + StewardBin() + "' ctl --runtime-dir '" + dir + "' " + verb + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int st = pclose(p);
  *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(RuntimeDir, MissingParentsAreMadeAndCtlFindsTheSocket) {
  TempDir t;
  mkdir((t / "services").c_str(), 0755);
  WriteFile(t / "services/worker.toml", "command = \"while :; do sleep 1; done\"\n");
  std::string dir = t / "run/not/yet/steward";
  RunOptions o;
  o.env["STEWARD_RUNTIME_DIR"] = dir;
  Process p({"--services", t / "services", "--config", ""}, o);
  ASSERT_TRUE(WaitFor([&] { return Exists(dir + "/control.sock"); })) << p.Stderr();
  int code = -1;
  std::string out;
  ASSERT_TRUE(WaitFor([&] {
    out = Ctl(dir, "health", &code);
    return code == 0;
  })) << out;
  EXPECT_EQ("healthy: 1 service up and ready\n", out);
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(RuntimeDir, UnusableDirectoryWarnsAndRunsWithoutSocket) {
  TempDir t;
  mkdir((t / "services").c_str(), 0755);
  WriteFile(t / "services/worker.toml", "command = \"echo worker: up; while :; do sleep 1; done\"\n");
  WriteFile(t / "file", "not a directory\n");
  RunOptions o;
  o.env["STEWARD_RUNTIME_DIR"] = t / "file/steward";
  Process p({"--services", t / "services", "--config", ""}, o);
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stdout(), "worker: up").empty(); }))
      << p.Stdout() << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: no usable runtime directory (cannot create " +
                                     t.path() + "/file/steward: Not a directory); running without "
                                     "control socket and with in-memory spools (fix --runtime-dir "
                                     "or STEWARD_RUNTIME_DIR)")
                    .size())
      << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
