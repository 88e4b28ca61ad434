// The watched configuration volume (SPEC §7) with the real binary as PID 1:
// a change in a plain directory and a Kubernetes ConfigMap `..data` swap are
// installed and reloaded within seconds, a broken template installs and
// changes nothing, config_volume_watch = false turns it off, and steward is
// idle again afterwards (no wake-ups: inotify, no polling).
#include <stdio.h>
#include <unistd.h>

#include <iostream>

#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;
using Clock = std::chrono::steady_clock;

std::string PidOf(const Set& set, const std::string& name) {
  return Cell(Ctl(set, {"status", name}).out, name, 2);
}

// Writes a file the way an editor or `kubectl cp` does: a new name, then a
// rename over the old one.
void Replace(const std::string& path, const std::string& text) {
  WriteFile(path + ".new", text);
  ASSERT_EQ(0, rename((path + ".new").c_str(), path.c_str()));
}

std::string App(const Set& set, const std::string& version) {
  return "command = \"\"\"\ntrap 'echo stop app >> " + set.log() + "; exit 0' TERM\n"
         "echo start app " + version + " >> " + set.log() + "\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n";
}

void Mkdirs(const std::string& path) { ASSERT_EQ(0, system(("mkdir -p '" + path + "'").c_str())); }

// How long a change took to reach the service, for the record only.
void Report(const char* what, Clock::time_point since) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
  std::cout << what << ": " << ms << " ms from the change to the service running with it\n";
}

// A plain volume whose tree installs over the set's services directory,
// with app (version "one") in it; steward started over it.
struct PlainVolume {
  Set set;
  std::string volume = set.path("volume");
  std::string mirror = volume + set.services();
  std::unique_ptr<Process> p;

  void Run(const std::string& global = "") {
    Mkdirs(mirror);
    WriteFile(mirror + "/app.toml", App(set, "one"));
    RunOptions o;
    o.env["STEWARD_CONFIG_VOLUME"] = volume;
    p = std::make_unique<Process>(set.Args(global), o);
    ASSERT_TRUE(WaitFor([&] { return set.Has("start app one"); })) << p->Stderr();
  }
};

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
  std::this_thread::sleep_for(milliseconds(1500));  // past the settle timer
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
  EXPECT_TRUE(set.Has("start app two"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

}  // namespace
}  // namespace steward::testing
