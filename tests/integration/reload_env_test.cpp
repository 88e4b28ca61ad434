// Reload and env_files (SPEC §4, issue 19 item 4): the files a service reads
// its definition from count in the diff. A changed content restarts that
// service and no other; a file a oneshot wrote after the configuration was
// read, and that the service read at its start, is no change.
#include <sys/stat.h>
#include <unistd.h>

#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;

std::string PidOf(const Set& set, const std::string& name) {
  return Cell(Ctl(set, {"status", name}).out, name, 2);
}

TEST(ReloadEnv, AChangedEnvFileRestartsItsServiceAndNoOther) {
  Set set;
  WriteFile(set.path("app.env"), "LEVEL=1\n");
  set.Add("app", Recorder("app", "env_file = \"@DIR/app.env\"\n"));
  set.Add("other", Recorder("other"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app") && set.Has("start other"); }))
      << p.Stderr();
  std::string app = PidOf(set, "app"), other = PidOf(set, "other");
  ASSERT_NE("", app);

  CtlResult r = Ctl(set, {"reload"});  // nothing changed yet
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("no changes\n", r.out);
  EXPECT_EQ(app, PidOf(set, "app"));

  WriteFile(set.path("app.env"), "LEVEL=2\n");
  r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted app\n", r.out);
  EXPECT_EQ(2, set.Count("start app"));
  EXPECT_NE(app, PidOf(set, "app"));
  EXPECT_EQ(other, PidOf(set, "other"));
  EXPECT_EQ(1, set.Count("start other"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ReloadEnv, AnEnvFileAOneshotWroteAfterTheLoadIsNoChange) {
  Set set;
  set.Add("gen", "type = \"oneshot\"\ncommand = \"echo LEVEL=3 > @DIR/gen.env\"\n");
  set.Add("use", Recorder("use", "depends_on = [\"gen\"]\nenv_file = \"@DIR/gen.env\"\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start use"); })) << p.Stderr();
  std::string use = PidOf(set, "use");
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("no changes\n", r.out);
  EXPECT_EQ(use, PidOf(set, "use"));
  EXPECT_EQ(1, set.Count("start use"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ReloadEnv, AnEnvFileOthersCanWriteRefusesTheReload) {
  Set set;
  WriteFile(set.path("app.env"), "LEVEL=1\n");
  set.Add("app", Recorder("app", "env_file = \"@DIR/app.env\"\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  std::string app = PidOf(set, "app");
  ASSERT_EQ(0, chmod(set.path("app.env").c_str(), 0666));
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(1, r.code);
  EXPECT_EQ(set.services() + "/app.toml:7:12: env_file " + set.path("app.env") +
                ": writable by others (mode 0666); someone else could set the service's "
                "environment (chmod o-w " + set.path("app.env") + ")\n"
                "reload refused: 1 configuration error; the running services carry on untouched\n",
            r.err);
  EXPECT_EQ(app, PidOf(set, "app"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

}  // namespace
}  // namespace steward::testing
