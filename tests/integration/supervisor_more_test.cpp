// Services mode through the real binary as PID 1, continued: stop commands, users, environment, configuration errors, --check, idle, the example, the configuration volume.
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

TEST(Supervisor, ConfigurationErrorsExit2AndNothingRuns) {
  Set set;
  set.Add("good", "command = \"touch @DIR/ran\"\n");
  set.Add("typo", "command = \"true\"\ndepend_on = [\"good\"]\n");
  set.Add("a", "command = \"true\"\ndepends_on = [\"b\"]\n");
  set.Add("b", "command = \"true\"\ndepends_on = [\"a\"]\n");
  Process p(set.Args());
  EXPECT_EQ(2, p.Wait());
  std::string err = p.Stderr();
  EXPECT_EQ(1u, Grep(err, "typo.toml:2:1: unknown key 'depend_on' (did you mean 'depends_on'?)").size()) << err;
  EXPECT_EQ(1u, Grep(err, "dependency cycle: a -> b -> a").size()) << err;
  EXPECT_FALSE(Exists(set.path("ran")));
}

TEST(Supervisor, CheckPrintsThePlan) {
  Set set;
  set.Add("db", "command = \"true\"\n");
  set.Add("cache", "command = \"true\"\n");
  set.Add("app", "command = \"true\"\ndepends_on = [\"db\", \"cache\"]\n");
  set.Add("old", "command = \"true\"\nenabled = false\n");
  Process p({"--check", "--services", set.services(), "--config", ""});
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ("services directory: " + set.services() + "\n"
            "global file: (none)\n"
            "services: 3 enabled, 1 disabled\n"
            "start order (each line starts together, after the line above is ready):\n"
            "  1. cache db\n"
            "  2. app\n"
            "  (disabled: old)\n",
            p.Stdout());
  set.Add("bad", "command = 5\n");
  Process q({"--check", "--services", set.services(), "--config", ""});
  EXPECT_EQ(2, q.Wait());
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

// Every example set runs: they cannot go stale.
TEST(Supervisor, ExampleWebappRunsAndStopsInOrder) {
  TempDir state;
  RunOptions o;
  o.new_net_namespace = true;
  o.env["WEB_ROOT"] = std::string(STEWARD_SOURCE_DIR) + "/examples/webapp/www";
  o.env["STATE_DIR"] = state.path();
  o.env["LOG_DIR"] = state / "logs";
  std::string example = std::string(STEWARD_SOURCE_DIR) + "/examples/webapp";
  // main waits for cron's first syslog line to reach its file.
  Process p({"--services", example + "/services", "--config", example + "/steward.toml",
             "--runtime-dir", state.path(), "--", "/bin/sh", "-c",
             "/bin/busybox wget -q -O " + state / "page" + " http://127.0.0.1:18080/ && "
             "until grep -q 'tick 1' " + state / "logs/cron.log" + " 2>/dev/null; do sleep 0.1; done"},
            o);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_NE(std::string::npos, ReadFile(state / "page").find("supervised by steward"));
  EXPECT_EQ("schema at version 42\n", ReadFile(state / "webapp-schema"));
  std::string err = p.Stderr();
  auto at = [&](const std::string& s) { return err.find(s); };
  EXPECT_LT(at("db: ready"), at("migrate: started"));
  EXPECT_LT(at("migrate: exited with status 0"), at("app: started"));
  EXPECT_LT(at("app: ready"), at("web: started"));
  EXPECT_LT(at("web: stopped"), at("app: stopped"));
  EXPECT_LT(at("app: stopped"), at("db: stopped"));
  EXPECT_NE(std::string::npos, p.Stdout().find("app: clean exit"));
  // The syslog(3) daemon, on the console under its tag and in its file.
  EXPECT_EQ(1u, Grep(p.Stdout(), "cron    | tick 1: nothing to do").size()) << p.Stdout();
  EXPECT_EQ(1u, Grep(ReadFile(state / "logs/cron.log"), "tick 1: nothing to do").size());
  // Lines written while stopping were drained into the file sink too.
  EXPECT_EQ(1u, Grep(ReadFile(state / "logs/app.log"), "app: clean exit").size());
}

}  // namespace
}  // namespace steward::testing

namespace steward::testing {
namespace {

// SPEC §7: one image, many environments. The volume installs a service
// file and a template over the root; the configuration is read after it.
TEST(ConfigVolume, InstallsOverTheRootBeforeAnythingStarts) {
  TempDir dir;
  std::string volume = dir / "volume";
  std::string mirror = volume + dir.path();  // the volume's copy of dir
  ASSERT_EQ(0, system(("mkdir -p '" + mirror + "/services' '" + dir.path() + "/services'").c_str()));
  WriteFile(mirror + "/services/hello.toml",
            "type = \"oneshot\"\ncommand = \"cat " + dir.path() + "/app.conf > " + dir.path() +
                "/ran\"\n");
  WriteFile(mirror + "/app.conf.tmpl", "greeting=${GREETING}\n");
  RunOptions o;
  o.env["STEWARD_CONFIG_VOLUME"] = volume;
  o.env["GREETING"] = "hello from the volume";
  Process p({"--services", dir / "services", "--config", "", "--runtime-dir", dir.path(), "--",
             "/bin/true"}, o);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ("greeting=hello from the volume\n", ReadFile(dir / "ran"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "config volume: installed " + dir.path() + "/app.conf").size())
      << p.Stderr();
}

TEST(ConfigVolume, ABadTemplateStartsNothing) {
  TempDir dir;
  std::string volume = dir / "volume";
  ASSERT_EQ(0, system(("mkdir -p '" + volume + dir.path() + "' '" + dir.path() + "/services'").c_str()));
  WriteFile(volume + dir.path() + "/app.conf.tmpl", "${NOT_SET_ANYWHERE}\n");
  RunOptions o;
  o.env["STEWARD_CONFIG_VOLUME"] = volume;
  Process p({"--services", dir / "services", "--config", "", "--", "/bin/sh", "-c",
             "touch " + dir.path() + "/ran"}, o);
  EXPECT_EQ(2, p.Wait());
  EXPECT_FALSE(Exists(dir / "ran"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "NOT_SET_ANYWHERE").size()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
