// Reload with the real binary as PID 1 (SPEC §4): the diff case by case
// (unchanged keeps its pid, changed restarts in order, removed stops, new
// starts), a refused configuration changing nothing, SIGHUP doing what
// `ctl reload` does, a changed dependency, and no wake-ups afterwards.
#include <sys/stat.h>
#include <unistd.h>

#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;

std::string PidOf(const Set& set, const std::string& name) {
  return Cell(Ctl(set, {"status", name}).out, name, 2);
}

TEST(Reload, TheDiffCaseByCase) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n"));
  set.Add("keep", Recorder("keep"));
  set.Add("old", Recorder("old"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] {
    return set.Has("start app") && set.Has("start keep") && set.Has("start old");
  })) << p.Stderr();
  std::string keep = PidOf(set, "keep"), db = PidOf(set, "db");
  ASSERT_NE("", keep);
  ASSERT_NE("-", keep);

  // app changed (its environment), old removed, new added, keep and db as they were.
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n[environment]\nLEVEL = \"2\"\n"));
  ASSERT_EQ(0, unlink((set.services() + "/old.toml").c_str()));
  set.Add("new", Recorder("new"));
  // A file written again with the same definition (a comment) is unchanged.
  set.Add("keep", "# touched\n" + Recorder("keep"));
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err << p.Stderr();
  EXPECT_EQ("stopped old\nrestarted app\nstarted new\n", r.out);
  EXPECT_EQ(2, set.Count("start app"));
  EXPECT_EQ(1, set.Count("stop app"));
  EXPECT_LT(set.At("stop app"), set.At("start app", 1));
  EXPECT_TRUE(set.Has("stop old"));
  EXPECT_TRUE(set.Has("start new"));
  EXPECT_EQ(keep, PidOf(set, "keep"));
  EXPECT_EQ(db, PidOf(set, "db"));
  EXPECT_FALSE(set.Has("stop keep"));
  EXPECT_FALSE(set.Has("stop db"));
  EXPECT_EQ(1, set.Count("start keep"));
  EXPECT_TRUE(Row(Ctl(set, {"status"}).out, "old").empty()) << "old is no longer listed";
  EXPECT_EQ("ready", State(set, "new"));

  // Nothing changed since: no changes, nothing touched.
  r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code);
  EXPECT_EQ("no changes\n", r.out);
  EXPECT_EQ(2, set.Count("start app"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "reload: stopped old").size()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Reload, ChangedServicesRestartInDependencyOrder) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", ReadyRecorder("app", "depends_on = [\"db\"]\n"));
  set.Add("web", Recorder("web", "depends_on = [\"app\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web"); })) << p.Stderr();
  for (std::string name : {"db", "app"})
    set.Add(name, ReadyRecorder(name, std::string(name == "app" ? "depends_on = [\"db\"]\n" : "") +
                                          "stop_grace_period = \"4s\"\n"));
  set.Add("web", Recorder("web", "depends_on = [\"app\"]\nstop_grace_period = \"4s\"\n"));
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted app\nrestarted db\nrestarted web\n", r.out);
  // Stopped dependents first, started dependencies first.
  EXPECT_LT(set.At("stop web"), set.At("stop app"));
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_LT(set.At("stop db"), set.At("start db", 1));
  EXPECT_LT(set.At("start db", 1), set.At("start app", 1));
  EXPECT_LT(set.At("start app", 1), set.At("start web", 1));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Reload, AnInvalidConfigurationIsRefusedWithPositionsAndChangesNothing) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  std::string db = PidOf(set, "db"), app = PidOf(set, "app");
  set.Add("app", "comand = \"typo\"\n");
  set.Add("new", Recorder("new", "depends_on = [\"nothere\"]\n"));
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(1, r.code);
  std::string app_toml = set.services() + "/app.toml";
  std::string new_toml = set.services() + "/new.toml";
  EXPECT_NE(std::string::npos, r.err.find(app_toml + ":1:1: ")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find(new_toml + ":")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("nothere")) << r.err;
  EXPECT_NE(std::string::npos,
            r.err.find("configuration errors; the running services carry on untouched"))
      << r.err;
  EXPECT_EQ(db, PidOf(set, "db"));
  EXPECT_EQ(app, PidOf(set, "app"));
  EXPECT_FALSE(set.Has("start new"));
  EXPECT_EQ(0, set.Count("stop app"));
  EXPECT_FALSE(Grep(p.Stderr(), app_toml + ":1:1:").empty()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Reload, SighupDoesWhatCtlReloadDoes) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); })) << p.Stderr();
  std::string db = PidOf(set, "db");
  set.Add("new", Recorder("new"));
  p.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start new"); })) << p.Stderr();
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "reload: started new").empty(); }))
      << p.Stderr();
  EXPECT_EQ(db, PidOf(set, "db"));
  // A refused one: the errors are in steward's log.
  set.Add("new", "[ready\n");
  p.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "reload refused").empty(); })) << p.Stderr();
  EXPECT_FALSE(Grep(p.Stderr(), set.services() + "/new.toml:1:").empty()) << p.Stderr();
  EXPECT_EQ("ready", State(set, "new"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Reload, ANewDependencyOfARunningService) {
  Set set;
  set.Add("app", Recorder("app"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  set.Add("cache", ReadyRecorder("cache"));
  set.Add("app", Recorder("app", "depends_on = [\"cache\"]\n"));
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted app\nstarted cache\n", r.out);
  EXPECT_LT(set.At("stop app"), set.At("start app", 1));
  EXPECT_LT(set.At("start cache"), set.At("start app", 1));
  // And the graph follows: stopping cache now takes app down first.
  r = Ctl(set, {"stop", "cache"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_LT(set.At("stop app", 1), set.At("stop cache"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Reload, TheMainProgramIsNeverRestarted) {
  Set set;
  set.Add("db", Recorder("db"));
  std::vector<std::string> args = set.Args();
  args.insert(args.end(), {"--", "/bin/sh", "-c", "echo start main >> " + set.log() +
                                                      "; while :; do sleep 1 & wait $!; done"});
  Process p(args);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start main"); })) << p.Stderr();
  set.Add("db", Recorder("db", "stop_grace_period = \"3s\"\n"));
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted db\n", r.out);
  EXPECT_EQ(1, set.Count("start main"));
  p.Signal(SIGTERM);
  p.Wait();
}

TEST(Reload, GlobalSettingsApplyAtOnce) {
  Set set;
  // A service that ignores SIGTERM: only the shutdown deadline ends it.
  set.Add("stubborn", "command = \"trap '' TERM; echo start stubborn >> @LOG; "
                      "while :; do sleep 1; done\"\nstop_grace_period = \"120s\"\n");
  std::string global = set.path("steward.toml");
  WriteFile(global, "shutdown_timeout = \"120s\"\n");
  Process p(set.ArgsWithConfig(global));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start stubborn"); })) << p.Stderr();
  struct stat st;
  ASSERT_EQ(0, stat(set.socket().c_str(), &st));
  EXPECT_EQ(0600u, st.st_mode & 0777);

  WriteFile(global, "shutdown_timeout = \"1s\"\ncontrol_group = \"nogroup\"\n");
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("no changes\n", r.out);  // no service changed
  // control_group: the socket is the group's now, and nobody's group may talk.
  ASSERT_EQ(0, stat(set.socket().c_str(), &st));
  EXPECT_EQ(0660u, st.st_mode & 0777);
  EXPECT_EQ(kNogroup, st.st_gid);
  // shutdown_timeout: the 1s deadline, not 120s, ends the stubborn service.
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(std::chrono::seconds(60))) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "the whole stop must fit in shutdown_timeout (1s)").size()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
