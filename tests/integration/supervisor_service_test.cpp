// Services mode through the real binary as PID 1, continued: how a service
// runs (stop commands, users, environment, limits) and an idle steward.
#include "supervisor_support.hpp"

namespace steward::testing {
namespace {

using namespace supervised;

TEST(Supervisor, StopCommandRunsInsteadOfTheSignal) {
  Set set;
  set.Add("d", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
               "stop_command = \"echo stop-command $$MAINPID >> @LOG; kill -KILL $$MAINPID\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ(1u, Grep(ReadFile(set.log()), "stop-command ").size());
  EXPECT_TRUE(Grep(p.Stderr(), "still running").empty()) << p.Stderr();
}

TEST(Supervisor, RunsAsNobodyWithItsGroups) {
  struct passwd* pw = getpwnam("nobody");
  ASSERT_NE(nullptr, pw);
  Set set;
  set.Add("who", "type = \"oneshot\"\nuser = \"nobody\"\n"
                 "command = \"echo $$(id -u) $$(id -g) $$(id -G) $$HOME $$USER $$LOGNAME > @DIR/who\"\n");
  Process p(set.Args({}, {"/bin/true"}));
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  std::string want = std::to_string(pw->pw_uid) + " " + std::to_string(pw->pw_gid) + " " +
                     std::to_string(pw->pw_gid) + " " + pw->pw_dir + " nobody nobody\n";
  EXPECT_EQ(want, ReadFile(set.path("who")));
}

TEST(Supervisor, EnvironmentWorkingDirUmaskAndLimits) {
  Set set;
  WriteFile(set.path("web.env"), "FROM_FILE=file\nOVERRIDE=file\n");
  set.Add("env", "type = \"oneshot\"\nworking_dir = \"@DIR\"\numask = \"027\"\n"
                 "env_file = \"@DIR/web.env\"\n"
                 "environment = { FROM_TABLE = \"table\", OVERRIDE = \"table\" }\n"
                 "limits = { nofile = 1234 }\n"
                 "command = \"echo $$FROM_FILE $$FROM_TABLE $$OVERRIDE $$(pwd) $$(umask) "
                 "$$(ulimit -n) > @DIR/env\"\n");
  set.Add("clean", "type = \"oneshot\"\nclear_env = true\n"
                   "command = \"echo [$${STEWARD_TEST_MARK:-unset}] > @DIR/clean\"\n");
  RunOptions o;
  o.env["STEWARD_TEST_MARK"] = "inherited";
  Process p(set.Args({}, {"/bin/sh", "-c", "echo [$STEWARD_TEST_MARK] > " + set.path("main")}), o);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ("file table table " + set.path("") .substr(0, set.path("").size() - 1) +
                " 0027 1234\n",
            ReadFile(set.path("env")));
  EXPECT_EQ("[unset]\n", ReadFile(set.path("clean")));
  EXPECT_EQ("[inherited]\n", ReadFile(set.path("main")));
}

TEST(Supervisor, IdleMeansNoWakeUps) {
  Set set;
  // steward removes a ready file before each start: the service makes it.
  set.Add("a", "command = \"touch @DIR/a.ready; exec sleep 1000\"\n"
               "[ready]\nfile = \"@DIR/a.ready\"\n");
  set.Add("b", Recorder("b", "depends_on = [\"a\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start b"); }));
  ASSERT_TRUE(WaitUntilQuiet(p.pid())) << "steward never settled";
  long before = VoluntarySwitches(p.pid());
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(before, VoluntarySwitches(p.pid())) << "steward woke up while services idled";
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

}  // namespace
}  // namespace steward::testing
