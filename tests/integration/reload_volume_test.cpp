// The watched configuration volume (SPEC §7) with the real binary as PID 1:
// a change in a plain directory and a Kubernetes ConfigMap `..data` swap are
// installed and reloaded within seconds, a broken template installs and
// changes nothing, config_volume_watch = false turns it off, and steward is
// idle again afterwards (no wake-ups: inotify, no polling).
#include "reload_volume_support.hpp"

namespace steward::testing {
namespace {

using namespace volume;

TEST(ReloadVolume, APlainDirectoryChangeIsInstalledAndReloaded) {
  PlainVolume v;
  Set& set = v.set;
  const std::string& mirror = v.mirror;
  set.Add("db", Recorder("db"));
  v.Run();
  Process& p = *v.p;
  std::string db = PidOf(set, "db");

  Clock::time_point changed = Clock::now();
  Replace(mirror + "/app.toml", App(set, "two"));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app two"); }, std::chrono::seconds(20)))
      << p.Stderr();
  Report("plain directory", changed);
  EXPECT_EQ(App(set, "two"), ReadFile(set.services() + "/app.toml"));
  EXPECT_LT(set.At("stop app"), set.At("start app two"));
  EXPECT_EQ(db, PidOf(set, "db"));
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "reload: restarted app").empty(); }))
      << p.Stderr();
  // Installed at the start and again now.
  EXPECT_EQ(2u, Grep(p.Stderr(), "config volume: installed " + set.services() + "/app.toml").size())
      << p.Stderr();
  EXPECT_FALSE(Grep(p.Stderr(), "changed; installing it again and reloading").empty()) << p.Stderr();

  // A new file in the volume is a new service.
  std::string cache = Recorder("cache");
  for (size_t at; (at = cache.find("@LOG")) != std::string::npos;) cache.replace(at, 4, set.log());
  WriteFile(mirror + "/cache.toml", cache);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start cache"); }, std::chrono::seconds(20)))
      << p.Stderr();
  EXPECT_EQ(db, PidOf(set, "db"));

  // Idle after the reloads: the watch is inotify, nothing polls.
  // Quiet for longer than the settle timer: it fired and nothing is left.
  ASSERT_TRUE(WaitUntilQuiet(p.pid(), milliseconds(1500))) << "steward never settled";
  long before = VoluntarySwitches(p.pid());
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(before, VoluntarySwitches(p.pid())) << "steward woke up while idle after a reload";
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

// The kubelet's layout: every key a link through `..data`, `..data` a link
// to a timestamped directory, an update a new directory and one rename of
// a new `..data` over the old one.
TEST(ReloadVolume, AConfigMapDataSwapIsApplied) {
  Set set;
  std::string volume = set.path("volume");
  std::string top = set.services().substr(0, set.services().find('/', 1));  // "/tmp"
  auto version = [&](const std::string& dir, const std::string& app) {
    Mkdirs(volume + "/" + dir + set.services());
    WriteFile(volume + "/" + dir + set.services() + "/app.toml", app);
  };
  version("..2026_12_01_10_00_00.1", App(set, "one"));
  ASSERT_EQ(0, symlink("..2026_12_01_10_00_00.1", (volume + "/..data").c_str()));
  ASSERT_EQ(0, symlink(("..data" + top).c_str(), (volume + top).c_str()));
  set.Add("db", Recorder("db"));
  RunOptions o;
  o.env["STEWARD_CONFIG_VOLUME"] = volume;
  Process p(set.Args(), o);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app one"); })) << p.Stderr();
  std::string db = PidOf(set, "db");

  Clock::time_point changed = Clock::now();
  version("..2026_12_01_10_05_00.2", App(set, "two"));
  ASSERT_EQ(0, symlink("..2026_12_01_10_05_00.2", (volume + "/..data_tmp").c_str()));
  ASSERT_EQ(0, rename((volume + "/..data_tmp").c_str(), (volume + "/..data").c_str()));
  ASSERT_EQ(0, system(("rm -rf '" + volume + "/..2026_12_01_10_00_00.1'").c_str()));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app two"); }, std::chrono::seconds(20)))
      << p.Stderr();
  Report("ConfigMap ..data swap", changed);
  EXPECT_EQ(App(set, "two"), ReadFile(set.services() + "/app.toml"));
  EXPECT_EQ(db, PidOf(set, "db"));
  EXPECT_EQ(1, set.Count("stop app"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ReloadVolume, ABrokenTemplateInstallsNothingAndChangesNothing) {
  PlainVolume v;
  Set& set = v.set;
  const std::string &volume = v.volume, &mirror = v.mirror;
  v.Run();
  Process& p = *v.p;
  std::string app = PidOf(set, "app");

  // One change with a good file and a template that cannot render.
  WriteFile(mirror + "/app.toml", App(set, "two"));
  WriteFile(volume + set.path("app.conf.tmpl"), "level=${NOT_SET_ANYWHERE}\n");
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "reload refused").empty(); },
                      std::chrono::seconds(20)))
      << p.Stderr();
  // The template's error has its place; the count counts errors only.
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: error: " + volume + set.path("app.conf.tmpl") +
                                     ":1:7: variable 'NOT_SET_ANYWHERE' is not set").size())
      << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: error: reload refused: 1 configuration error; the "
                                 "running services carry on untouched").size())
      << p.Stderr();
  EXPECT_EQ(App(set, "one"), ReadFile(set.services() + "/app.toml")) << "installed half a volume";
  EXPECT_FALSE(Exists(set.path("app.conf")));
  EXPECT_EQ(app, PidOf(set, "app"));
  EXPECT_FALSE(set.Has("start app two"));

  // Fixed: now both go in.
  WriteFile(volume + set.path("app.conf.tmpl"), "level=${LEVEL:-2}\n");
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app two"); }, std::chrono::seconds(20)))
      << p.Stderr();
  EXPECT_EQ("level=2\n", ReadFile(set.path("app.conf")));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ReloadVolume, WatchingCanBeTurnedOff) {
  PlainVolume v;
  Set& set = v.set;
  const std::string& mirror = v.mirror;
  WriteFile(set.path("steward.toml"), "config_volume_watch = false\n");
  v.Run(set.path("steward.toml"));
  Process& p = *v.p;
  Replace(mirror + "/app.toml", App(set, "two"));
  std::this_thread::sleep_for(seconds(3));
  EXPECT_FALSE(set.Has("start app two")) << p.Stderr();
  EXPECT_EQ(App(set, "one"), ReadFile(set.services() + "/app.toml"));
  // A reload by hand still installs the volume again.
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("restarted app\n", r.out);
  // The answer comes once app is launched; its first line follows.
  EXPECT_TRUE(WaitFor([&] { return set.Has("start app two"); })) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

// An event that changed no file (the kubelet or the engine touching the
// volume right after `podman kube play`) reloads nothing.
TEST(ReloadVolume, AnEventThatChangedNothingReloadsNothing) {
  PlainVolume v;
  Set& set = v.set;
  WriteFile(set.path("steward.toml"), "config_volume_settle = \"200ms\"\n");
  RunOptions o;
  o.env["STEWARD_VERBOSITY"] = "3";
  v.Run(set.path("steward.toml"), o);
  Process& p = *v.p;
  std::string app = PidOf(set, "app");
  Replace(v.mirror + "/app.toml", App(set, "one"));  // the same bytes, a new inode
  ASSERT_EQ(0, chmod((v.mirror + "/app.toml").c_str(), 0644));
  ASSERT_TRUE(WaitFor([&] {
    return !Grep(p.Stderr(), "steward: debug: config volume " + v.volume +
                                 ": touched, but every file in it is installed as it is; no "
                                 "reload").empty();
  })) << p.Stderr();
  EXPECT_TRUE(Grep(p.Stderr(), "changed; installing it again").empty()) << p.Stderr();
  EXPECT_TRUE(Grep(p.Stderr(), "reload").size() == 1) << p.Stderr();
  EXPECT_EQ(app, PidOf(set, "app"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

// A broken push cannot be installed, and so cannot break the next start:
// the volume is validated whole (with what it would replace) before any of
// it goes in. `true`: the kubelet's `..data` layout; `false`: a plain directory.
class VolumePush : public ::testing::TestWithParam<bool> {};

TEST_P(VolumePush, ABrokenPushIsRefusedAndAGoodOneAfterItIsAppliedAlsoAcrossRestarts) {
  Set set;
  set.Add("db", Recorder("db"));
  WriteFile(set.path("steward.toml"), "config_volume_settle = \"200ms\"\n");
  Volume volume(set.path("volume"), GetParam());
  std::string dest = set.services() + "/app.toml", shown = volume.Shown(dest);
  std::string broken = App(set, "bad") + "restrat = \"always\"\n";  // line 6
  std::string error = "steward: error: " + shown + ":6:1: unknown key 'restrat' (did you mean "
                      "'restart'?)";
  std::string refused = "steward: error: config volume " + volume.path() +
                        ": refused with 1 error; nothing of it was installed";
  volume.Push({{dest, App(set, "one")}});
  RunOptions o;
  o.env["STEWARD_CONFIG_VOLUME"] = volume.path();
  auto p = std::make_unique<Process>(set.ArgsWithConfig(set.path("steward.toml")), o);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app one"); })) << p->Stderr();
  std::string app = PidOf(set, "app"), db = PidOf(set, "db");

  // Pushed broken: refused with its position, nothing installed, nothing touched.
  volume.Push({{dest, broken}});
  ASSERT_TRUE(WaitFor([&] { return !Grep(p->Stderr(), "reload refused").empty(); }))
      << p->Stderr();
  ASSERT_TRUE(WaitFor([&] { return !Grep(p->Stderr(), refused).empty(); })) << p->Stderr();
  EXPECT_FALSE(Grep(p->Stderr(), error).empty()) << p->Stderr();
  EXPECT_EQ(App(set, "one"), ReadFile(dest));
  EXPECT_EQ(app, PidOf(set, "app"));
  // By hand, the same.
  size_t seen = Grep(p->Stderr(), refused).size();
  CtlResult r = Ctl(set, {"reload"});
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, (r.out + r.err).find(shown + ":6:1: unknown key 'restrat'"))
      << r.out << r.err;
  p->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Grep(p->Stderr(), refused).size() >= seen + 2; }))
      << p->Stderr();
  EXPECT_EQ(App(set, "one"), ReadFile(dest));

  // Fixed: installed and applied (the service restarts with it).
  volume.Push({{dest, App(set, "two")}});
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app two"); })) << p->Stderr();
  EXPECT_EQ(App(set, "two"), ReadFile(dest));
  EXPECT_EQ(db, PidOf(set, "db"));
  EXPECT_FALSE(set.Has("start app bad"));
  p->Signal(SIGTERM);
  EXPECT_EQ(0, p->Wait());

  // Broken while the container is down: the start is refused and nothing
  // installed, so the one after the fix starts (no crash loop).
  volume.Push({{dest, broken}});
  p = std::make_unique<Process>(set.ArgsWithConfig(set.path("steward.toml")), o);
  EXPECT_EQ(2, p->Wait()) << p->Stderr();
  EXPECT_EQ(1u, Grep(p->Stderr(), error).size()) << p->Stderr();
  EXPECT_EQ(1u, Grep(p->Stderr(), refused).size()) << p->Stderr();
  EXPECT_EQ(App(set, "two"), ReadFile(dest));
  volume.Push({{dest, App(set, "three")}});
  p = std::make_unique<Process>(set.ArgsWithConfig(set.path("steward.toml")), o);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app three"); })) << p->Stderr();
  EXPECT_EQ(App(set, "three"), ReadFile(dest));
  p->Signal(SIGTERM);
  EXPECT_EQ(0, p->Wait());
}

INSTANTIATE_TEST_SUITE_P(Layouts, VolumePush, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("KubeletDataLink") : "PlainDirectory";
                         });

}  // namespace
}  // namespace steward::testing
