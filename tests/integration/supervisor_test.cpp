// Services mode (SPEC §3-4) through the real binary as PID 1: start order
// and readiness gating, reverse stop, grace periods, exit statuses, users,
// configuration errors. Services record what happens in a shared log file;
// appends of one short line are atomic, so its order is the order of events.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "harness.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

double SecondsSince(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

// A services directory, a runtime directory and an event log in one place.
class Set {
 public:
  Set() {
    (void)mkdir((dir_ / "services").c_str(), 0755);
    (void)mkdir((dir_ / "run").c_str(), 0755);
    chmod(dir_.path().c_str(), 0777);
    WriteFile(log(), "", 0666);
  }
  std::string services() const { return dir_ / "services"; }
  std::string log() const { return dir_ / "events"; }
  std::string path(const std::string& name) const { return dir_ / name; }
  // Writes services/NAME.toml; "@LOG" in the text becomes the event log,
  // "@DIR" the test's directory.
  void Add(const std::string& name, std::string toml) {
    for (size_t at; (at = toml.find("@LOG")) != std::string::npos;) toml.replace(at, 4, log());
    for (size_t at; (at = toml.find("@DIR")) != std::string::npos;) toml.replace(at, 4, dir_.path());
    WriteFile(services() + "/" + name + ".toml", toml);
  }
  std::vector<std::string> Args(std::vector<std::string> extra = {},
                                std::vector<std::string> program = {}) const {
    std::vector<std::string> a = {"--services", services(), "--config", "",
                                  "--runtime-dir", dir_ / "run"};
    a.insert(a.end(), extra.begin(), extra.end());
    if (!program.empty()) {
      a.push_back("--");
      a.insert(a.end(), program.begin(), program.end());
    }
    return a;
  }
  std::vector<std::string> Events() const { return Lines(ReadFile(log())); }
  bool Has(const std::string& event) const {
    auto ev = Events();
    return std::find(ev.begin(), ev.end(), event) != ev.end();
  }
  // Position of an event in the log; -1 when absent.
  int At(const std::string& event) const {
    auto ev = Events();
    auto it = std::find(ev.begin(), ev.end(), event);
    return it == ev.end() ? -1 : int(it - ev.begin());
  }

 private:
  TempDir dir_;
};

// A longrun that records its start and, on SIGTERM, its stop. It is ready
// only once its trap is set and its start recorded, so nothing depending on
// it, and no signal a test sends after waiting for it, can overtake that.
std::string Recorder(const std::string& name, const std::string& extra = "") {
  return "command = \"\"\"\n"
         "trap 'echo stop " + name + " >> @LOG; exit 0' TERM\n"
         "echo start " + name + " >> @LOG\n"
         "touch @DIR/" + name + ".ready\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n" + extra +
         "[ready]\nfile = \"@DIR/" + name + ".ready\"\ninterval = \"20ms\"\n";
}

TEST(Supervisor, StartsInDependencyOrderAfterReadiness) {
  Set set;
  // db becomes ready, through a file, only once cron has started: were the
  // independent cron held back behind db, db would never be ready.
  set.Add("db", "command = \"echo start db >> @LOG; "
                "until grep -q 'start cron' @LOG; do sleep 0.05; done; sleep 0.2; "
                "echo db-ready >> @LOG; touch @DIR/db.ready; exec sleep 1000\"\n"
                "[ready]\nfile = \"@DIR/db.ready\"\n");
  set.Add("migrate", "type = \"oneshot\"\ndepends_on = [\"db\"]\n"
                     "command = \"echo start migrate >> @LOG; sleep 0.3; echo migrated >> @LOG\"\n");
  set.Add("app", Recorder("app", "depends_on = [\"migrate\", \"db\"]\n"));
  set.Add("web", Recorder("web", "depends_on = [\"app\"]\n"));
  set.Add("cron", Recorder("cron"));  // independent: starts at once
  Process p(set.Args({}, {"/bin/sh", "-c", "echo start main >> " + set.log()}));
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_LT(set.At("start db"), set.At("db-ready"));
  EXPECT_LT(set.At("db-ready"), set.At("start migrate"));
  EXPECT_LT(set.At("migrated"), set.At("start app"));
  EXPECT_LT(set.At("start app"), set.At("start web"));
  EXPECT_LT(set.At("start web"), set.At("start main"));
  EXPECT_LT(set.At("start cron"), set.At("db-ready"));
  EXPECT_GE(set.At("start cron"), 0);
}

TEST(Supervisor, StopsInReverseDependencyOrder) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("cache", Recorder("cache"));
  set.Add("app", Recorder("app", "depends_on = [\"db\", \"cache\"]\n"));
  set.Add("web", Recorder("web", "depends_on = [\"app\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web"); })) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_LT(set.At("stop web"), set.At("stop app"));
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_LT(set.At("stop app"), set.At("stop cache"));
}

TEST(Supervisor, ServiceIgnoringTermIsKilledAfterItsGraceNotBefore) {
  Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"1500ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_GE(SecondsSince(t0), 1.5);
  EXPECT_EQ(1u, Grep(p.Stderr(), "stubborn: still running 1.5s after SIGTERM; sending SIGKILL").size())
      << p.Stderr();
}

TEST(Supervisor, StopReturnsAsSoonAsEverythingExited) {
  Set set;
  for (int i = 0; i < 6; ++i) {
    std::string n = "s" + std::to_string(i);
    set.Add(n, Recorder(n, i > 0 ? "depends_on = [\"s" + std::to_string(i - 1) + "\"]\n"
                                   "stop_grace_period = \"30s\"\n"
                                 : "stop_grace_period = \"30s\"\n"));
  }
  Process p(set.Args({"--grace", "30s", "--shutdown-timeout", "60s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start s5"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(50)));
  // Far below any grace: nothing waited for a timer.
  EXPECT_LT(SecondsSince(t0), 20.0);
  std::printf("stop of a 6-deep chain took %.3f s\n", SecondsSince(t0));
}

TEST(Supervisor, SecondTermKillsAtOnce) {
  Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"60s\"\n");
  Process p(set.Args({"--shutdown-timeout", "90s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  std::this_thread::sleep_for(milliseconds(300));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(50)));
  EXPECT_LT(SecondsSince(t0), 40.0);
  EXPECT_EQ(1u, Grep(p.Stderr(), "received SIGTERM again; killing everything now").size());
}

TEST(Supervisor, ShutdownTimeoutKillsWhatIsLeft) {
  Set set;
  set.Add("stubborn", "command = \"trap '' TERM; echo start >> @LOG; exec sleep 1000\"\n"
                      "stop_grace_period = \"60s\"\n");
  Process p(set.Args({"--shutdown-timeout", "1s"}));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start"); }));
  auto t0 = steady_clock::now();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(50)));
  EXPECT_GE(SecondsSince(t0), 1.0);
  EXPECT_LT(SecondsSince(t0), 40.0);
  EXPECT_EQ(1u, Grep(p.Stderr(), "shutdown timeout of 1s reached").size()) << p.Stderr();
}

TEST(Supervisor, ExitsWithMainProgramStatus) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args({}, {"/bin/sh", "-c", "exit 42"}));
  EXPECT_EQ(42, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("stop db"));
  Process q(set.Args({}, {"/bin/sh", "-c", "kill -USR1 $$"}));
  EXPECT_EQ(128 + SIGUSR1, q.Wait()) << q.Stderr();
  Process r(set.Args({"-e", "42"}, {"/bin/sh", "-c", "exit 42"}));
  EXPECT_EQ(0, r.Wait()) << r.Stderr();
}

TEST(Supervisor, MainServiceFromAFile) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("job", "main = true\ndepends_on = [\"db\"]\ncommand = \"exit 7\"\n");
  Process p(set.Args());
  EXPECT_EQ(7, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("stop db"));
}

TEST(Supervisor, FailedOneshotBlocksMainAndGivesItsStatus) {
  Set set;
  set.Add("migrate", "type = \"oneshot\"\ncommand = \"echo migrate >> @LOG; exit 3\"\n");
  Process p(set.Args({}, {"/bin/sh", "-c", "echo main >> " + set.log()}));
  EXPECT_EQ(3, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("migrate"));
  EXPECT_FALSE(set.Has("main"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "main: blocked: dependency 'migrate' failed").size()) << p.Stderr();
}

TEST(Supervisor, OnFailureShutdownAfterMaxRestarts) {
  Set set;
  set.Add("flaky", "command = \"echo run >> @LOG; exit 4\"\nmax_restarts = 2\n"
                   "restart_delay = \"50ms\"\non_failure = \"shutdown\"\n");
  set.Add("other", Recorder("other"));
  Process p(set.Args());
  EXPECT_EQ(4, p.Wait()) << p.Stderr();
  auto ev = set.Events();
  EXPECT_EQ(3, std::count(ev.begin(), ev.end(), "run"));
  EXPECT_TRUE(set.Has("stop other"));
}

TEST(Supervisor, StoppedBySignalWithoutMainExitsZero) {
  Set set;
  set.Add("a", Recorder("a"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start a"); }));
  p.Signal(SIGINT);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, MainNotFoundIs127) {
  Set set;
  set.Add("a", Recorder("a"));
  Process p(set.Args({}, {"/no/such/binary"}));
  EXPECT_EQ(127, p.Wait());
  EXPECT_EQ(1u, Grep(p.Stderr(), "main: /no/such/binary: not found").size()) << p.Stderr();
}

TEST(Supervisor, RestartsWithBackoff) {
  Set set;
  set.Add("crashy", "command = \"echo run >> @LOG; exit 1\"\nrestart_delay = \"50ms\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] {
    auto ev = set.Events();
    return std::count(ev.begin(), ev.end(), "run") >= 4;
  })) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, SignalsAreForwardedToMain) {
  Set set;
  set.Add("a", Recorder("a"));
  std::string rec = set.path("signals");
  Process p(set.Args({}, {STEWARD_TEST_HELPER, "record", rec}));
  ASSERT_TRUE(WaitFor([&] { return ReadFile(rec).find("ready") != std::string::npos; }));
  for (int sig : {SIGUSR1, SIGUSR2, SIGWINCH, SIGRTMIN + 2}) {
    p.Signal(sig);
    std::string want = "\n" + std::to_string(sig) + "\n";
    EXPECT_TRUE(WaitFor([&] { return ReadFile(rec).find(want) != std::string::npos; }))
        << sig;
  }
  p.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "reload is not supported yet").empty(); }));
  EXPECT_EQ(std::string::npos, ReadFile(rec).find("\n1\n"));  // SIGHUP not forwarded
  // The recorder catches SIGTERM too, so it is killed after its grace, and
  // steward exits with main's status.
  p.Signal(SIGTERM);
  EXPECT_EQ(128 + SIGKILL, p.Wait());
}

TEST(Supervisor, ReadinessBySystemdNotify) {
  Set set;
  set.Add("db", std::string("command = \"echo start db >> @LOG; sleep 0.3; echo notifying >> @LOG; ") +
                    STEWARD_TEST_HELPER + " notify READY=1; exec sleep 1000\"\n"
                    "[ready]\nnotify = \"systemd\"\n");
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  EXPECT_LT(set.At("notifying"), set.At("start app"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, ReadinessByNotifyFdAndCommand) {
  Set set;
  set.Add("a", "command = \"echo start a >> @LOG; sleep 0.2; echo >&3; exec sleep 1000\"\n"
               "[ready]\nnotify_fd = 3\n");
  set.Add("b", "depends_on = [\"a\"]\n"
               "command = \"echo start b >> @LOG; sleep 0.2; touch @DIR/b.ok; exec sleep 1000\"\n"
               "[ready]\ncommand = [\"test\", \"-f\", \"@DIR/b.ok\"]\ninterval = \"50ms\"\n");
  set.Add("c", Recorder("c", "depends_on = [\"b\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start c"); })) << p.Stderr();
  EXPECT_LT(set.At("start a"), set.At("start b"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Supervisor, NotReadyInTimeFailsAndBlocksDependents) {
  Set set;
  set.Add("slow", "command = \"exec sleep 1000\"\nmax_restarts = 1\nrestart_delay = \"50ms\"\n"
                  "[ready]\nfile = \"@DIR/never\"\ntimeout = \"300ms\"\n");
  set.Add("app", Recorder("app", "depends_on = [\"slow\"]\n"));
  Process p(set.Args({}, {"/bin/true"}));
  EXPECT_EQ(137, p.Wait()) << p.Stderr();  // slow's last status: SIGKILLed when not ready
  EXPECT_FALSE(set.Has("start app"));
  EXPECT_EQ(2u, Grep(p.Stderr(), "slow: not ready after 300ms").size()) << p.Stderr();
}

TEST(Supervisor, UnhealthyServiceIsRestarted) {
  Set set;
  set.Add("web", "command = \"echo run >> @LOG; exec sleep 1000\"\n"
                 "[healthcheck]\ntest = [\"CMD-SHELL\", \"test -f @DIR/healthy\"]\n"
                 "interval = \"100ms\"\nretries = 2\non_unhealthy = \"restart\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] {
    auto ev = set.Events();
    return std::count(ev.begin(), ev.end(), "run") >= 2;
  })) << p.Stderr();
  EXPECT_FALSE(Grep(p.Stderr(), "web: unhealthy").empty());
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

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
  std::this_thread::sleep_for(milliseconds(300));
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
