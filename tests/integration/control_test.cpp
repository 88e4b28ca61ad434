// `steward ctl` (SPEC §6) against the real binary as PID 1 in its own PID
// namespace, driven from outside as a user would: the client is the same
// static binary, run as a separate process (as root, or as nobody), and
// services record what happens to them in a shared event log.
#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;

TEST(Control, StatusTableListsServicesWithTheirStates) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("web", Recorder("web", "depends_on = [\"db\"]\n"));
  set.Add("migrate", "type = \"oneshot\"\ncommand = \"exit 0\"\n");
  set.Add("broken", "type = \"oneshot\"\ncommand = \"exit 3\"\n");
  set.Add("report", Recorder("report", "depends_on = [\"broken\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web") && State(set, "report") == "blocked by broken"; }))
      << p.Stderr();

  CtlResult r = Ctl(set, {"status"});
  ASSERT_EQ(0, r.code) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(6u, lines.size()) << r.out;
  EXPECT_EQ(0u, lines[0].find("NAME")) << r.out;
  for (const char* column : {"STATE", "PID", "UPTIME", "RESTARTS", "READY", "HEALTH", "LAST EXIT"})
    EXPECT_NE(std::string::npos, lines[0].find(column)) << column;
  std::vector<std::string> web = Row(r.out, "web");
  ASSERT_EQ(8u, web.size()) << r.out;
  EXPECT_EQ("ready", web[1]);
  EXPECT_GT(std::stoi(web[2]), 1);  // a pid in steward's namespace
  EXPECT_EQ("yes", web[5]);
  EXPECT_EQ("-", web[7]);
  EXPECT_EQ((std::vector<std::string>{"migrate", "exited", "-", "-", "0", "yes", "-", "0"}),
            Row(r.out, "migrate"));
  EXPECT_EQ((std::vector<std::string>{"broken", "failed", "-", "-", "0", "no", "-", "3"}),
            Row(r.out, "broken"));
  EXPECT_EQ("blocked by broken", Cell(r.out, "report", 1));

  // Named services only, in the order given; an unknown name is exit 2.
  r = Ctl(set, {"status", "web", "db"});
  ASSERT_EQ(0, r.code);
  ASSERT_EQ(3u, Lines(r.out).size()) << r.out;
  EXPECT_EQ(0u, Lines(r.out)[1].find("web "));
  r = Ctl(set, {"status", "nope"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ("unknown service: nope (see steward ctl status)\n", r.err);
  EXPECT_EQ("", r.out);
}

TEST(Control, StatusJsonIsOneObjectWithEveryService) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("broken", "type = \"oneshot\"\ncommand = \"exit 3\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db") && State(set, "broken") == "failed"; }));
  CtlResult r = Ctl(set, {"status", "--json"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ(0u, r.out.find("{\"services\":[{\"name\":\"broken\",\"type\":\"oneshot\"")) << r.out;
  EXPECT_NE(std::string::npos,
            r.out.find("\"state\":\"failed\",\"blocked_by\":null,\"pid\":null,\"uptime_ms\":0,"
                       "\"restarts\":0,\"ready\":false,\"health\":\"none\",\"health_check\":null,"
                       "\"last_exit\":\"3\",\"last_exit_code\":3}"))
      << r.out;
  EXPECT_NE(std::string::npos, r.out.find("{\"name\":\"db\",\"type\":\"longrun\",\"main\":false,"
                                          "\"state\":\"ready\""))
      << r.out;
  EXPECT_EQ("]}\n", r.out.substr(r.out.size() - 3)) << r.out;
  EXPECT_EQ(1u, Lines(r.out).size());
}

TEST(Control, StatusListsLogSinksWithTheirDrops) {
  Set set;
  set.Add("db", Recorder("db"));
  std::string config = set.path("steward.toml");
  WriteFile(config, "[log]\nconsole = \"off\"\nsyslog_socket = \"\"\n"
                    "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"" +
                        set.path("{service}.log") + "\"\n");
  Process p(set.ArgsWithConfig(config));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); })) << p.Stderr();
  CtlResult r = Ctl(set, {"status"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("\n\nSINK   DROPPED\nfiles  0\n")) << r.out;
  r = Ctl(set, {"status", "--json"});
  EXPECT_NE(std::string::npos, r.out.find("\"sinks\":[{\"name\":\"files\",\"dropped\":0}]")) << r.out;
}

TEST(Control, HealthIsZeroWhenEverythingIsReady) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("migrate", "type = \"oneshot\"\ncommand = \"exit 0\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Ctl(set, {"health"}).code == 0; })) << p.Stderr();
  CtlResult r = Ctl(set, {"health"});
  EXPECT_EQ("healthy: 2 services up and ready\n", r.out);
}

TEST(Control, HealthIsOneNamingAFailedOneshot) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("broken", "type = \"oneshot\"\ncommand = \"exit 3\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db") && State(set, "broken") == "failed"; }));
  CtlResult r = Ctl(set, {"health"});
  EXPECT_EQ(1, r.code);
  EXPECT_EQ("broken: failed\n", r.err);
  EXPECT_EQ("", r.out);
}

TEST(Control, StopTakesDependentsDownInReverseOrderAndStartBringsThemBack) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", ReadyRecorder("app", "depends_on = [\"db\"]\n"));
  set.Add("web", ReadyRecorder("web", "depends_on = [\"app\"]\n"));
  set.Add("cron", Recorder("cron"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web") && set.Has("start cron"); }));

  // Waits: when ctl returns, all three are down.
  CtlResult r = Ctl(set, {"stop", "db"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("stopped web\nstopped app\nstopped db\n", r.out);
  EXPECT_LT(set.At("stop web"), set.At("stop app"));
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_FALSE(set.Has("stop cron"));
  for (const char* s : {"db", "app", "web"}) EXPECT_EQ("stopped", State(set, s)) << s;
  EXPECT_EQ("ready", State(set, "cron"));
  // Stopped on request, a service stays down: no restart behind our back.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(1, set.Count("start db"));

  r = Ctl(set, {"start", "web"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("started db\nstarted app\nstarted web\n", r.out);
  EXPECT_LT(set.At("start db", 1), set.At("start app", 1));
  EXPECT_LT(set.At("start app", 1), set.At("start web", 1));
  for (const char* s : {"db", "app", "web"}) EXPECT_EQ("ready", State(set, s)) << s;
  EXPECT_EQ(0, Ctl(set, {"health"}).code);

  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(Control, NoWaitReturnsAtOnce) {
  Set set;
  set.Add("slow", "command = \"trap 'sleep 1; exit 0' TERM; echo start slow >> @LOG; "
                  "while :; do sleep 1 & wait $$!; done\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start slow"); }));
  CtlResult r = Ctl(set, {"stop", "--no-wait", "slow"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("stopping", State(set, "slow"));
  EXPECT_TRUE(WaitFor([&] { return State(set, "slow") == "stopped"; }));
}

TEST(Control, RestartWithDependentsStopsThemFirstAndStartsThemAgain) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", ReadyRecorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); }));
  CtlResult r = Ctl(set, {"restart", "--with-dependents", "db"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted db\nrestarted app\n", r.out);
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_LT(set.At("stop db"), set.At("start db", 1));
  EXPECT_LT(set.At("start db", 1), set.At("start app", 1));
  EXPECT_EQ("ready", State(set, "db"));
  EXPECT_EQ("ready", State(set, "app"));
}

// Issue 19.7: a backend restart must not take its frontend down.
TEST(Control, RestartRestartsOnlyTheNamedServiceAndCountsIt) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", ReadyRecorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app") && State(set, "app") == "ready"; }));
  std::string app_pid = Cell(Ctl(set, {"status"}).out, "app", 2);
  CtlResult r = Ctl(set, {"restart", "db"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted db\n", r.out);
  EXPECT_LT(set.At("stop db"), set.At("start db", 1));
  EXPECT_FALSE(set.Has("stop app"));
  std::string table = Ctl(set, {"status"}).out;
  EXPECT_EQ(app_pid, Cell(table, "app", 2)) << table;
  EXPECT_EQ("1", Cell(table, "db", 4)) << table;  // RESTARTS
  EXPECT_EQ("0", Cell(table, "app", 4)) << table;
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(Control, SignalReachesTheService) {
  Set set;
  set.Add("worker", Recorder("worker"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start worker"); }));
  CtlResult r = Ctl(set, {"signal", "USR1", "worker"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(WaitFor([&] { return set.Has("usr1 worker"); })) << p.Stderr();
  EXPECT_EQ("ready", State(set, "worker"));

  r = Ctl(set, {"signal", "USR1", "nope"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ("unknown service: nope (see steward ctl status)\n", r.err);
  r = Ctl(set, {"signal", "NOSUCH", "worker"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ(0u, r.err.find("steward ctl: signal: unknown signal 'NOSUCH'\nUsage:")) << r.err;
}

TEST(Control, ShutdownWithExitCode) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); }));
  CtlResult r = Ctl(set, {"shutdown", "--exit-code", "3"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("stopping\n", r.out);
  EXPECT_EQ(3, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("stop db"));
  EXPECT_FALSE(Exists(set.socket())) << "the socket is removed at exit";
}

TEST(Control, GraphAndReload) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.socket()); }));
  CtlResult r = Ctl(set, {"graph"});
  EXPECT_EQ(0, r.code);
  EXPECT_EQ("digraph steward {\n  \"app\" -> \"db\";\n  \"db\";\n}\n", r.out);
  r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("no changes\n", r.out);
}

}  // namespace
}  // namespace steward::testing
