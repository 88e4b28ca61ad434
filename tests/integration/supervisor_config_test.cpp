// Services mode through the real binary as PID 1: the configuration as a
// whole (errors refuse to start, --check prints the plan, the example set
// runs).
#include "supervisor_support.hpp"

namespace steward::testing {
namespace {

using namespace supervised;

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
