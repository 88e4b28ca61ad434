// The configuration volume against the attacker (SPEC "Trust", §7), with
// the real binary as PID 1: a `user = "nobody"` service that owns a
// directory the volume installs into swaps a subdirectory for a link to a
// root-only directory, or puts a FIFO where a file goes; a setuid file in
// the volume. Root-only files stay unchanged, PID 1 keeps answering, no
// setuid file appears.
#include <sys/stat.h>

#include "reload_volume_support.hpp"

namespace steward::testing {
namespace {

using namespace volume;

// A set whose volume installs into `owned`, a directory nobody owns, with
// a nobody service (`attack`, its script) that does its worst there once
// steward has installed the volume at the start.
struct Attacked {
  Set set;
  std::string volume = set.path("volume");
  std::string owned = set.path("owned");
  std::unique_ptr<Process> p;

  void Run(const std::string& file, const std::string& attack) {
    Mkdirs(owned);
    ASSERT_EQ(0, chown(owned.c_str(), kNobody, kNogroup));
    std::string source = volume + owned + "/" + file;
    Mkdirs(source.substr(0, source.rfind('/')));
    WriteFile(source, "one\n");
    WriteFile(set.path("steward.toml"), "config_volume_settle = \"200ms\"\n");
    set.Add("attacker", "user = \"nobody\"\ncommand = \"\"\"\n" + attack +
                            "\necho attacked >> @LOG\nexec sleep 1000\n\"\"\"\n");
    RunOptions o;
    o.env["STEWARD_CONFIG_VOLUME"] = volume;
    p = std::make_unique<Process>(set.ArgsWithConfig(set.path("steward.toml")), o);
    ASSERT_TRUE(WaitFor([&] { return set.Has("attacked"); })) << p->Stderr();
  }
};

TEST(ReloadVolumeTrust, ALinkSwappedInByAServiceDoesNotRedirectTheInstall) {
  Attacked a;
  std::string secret = a.set.path("rootonly");
  Mkdirs(secret);
  ASSERT_EQ(0, chmod(secret.c_str(), 0700));
  WriteFile(secret + "/x.conf", "root only\n", 0600);
  a.Run("conf/x.conf", "mv " + a.owned + "/conf " + a.owned + "/old && ln -s " + secret + " " +
                           a.owned + "/conf");
  Process& p = *a.p;
  EXPECT_EQ("one\n", ReadFile(a.owned + "/old/x.conf"));  // installed at the start, before it
  std::string attacker = PidOf(a.set, "attacker");

  Replace(a.volume + a.owned + "/conf/x.conf", "two\n");
  ASSERT_TRUE(WaitFor([&] {
    return !Grep(p.Stderr(), "1 error installing it; nothing of it was installed").empty();
  })) << p.Stderr();
  EXPECT_FALSE(
      Grep(p.Stderr(), "steward: error: " + a.volume + a.owned + "/conf/x.conf: not installed: ")
          .empty())
      << p.Stderr();
  EXPECT_EQ("root only\n", ReadFile(secret + "/x.conf"));
  struct stat st;
  ASSERT_EQ(0, stat((secret + "/x.conf").c_str(), &st));
  EXPECT_EQ(0600u, st.st_mode & 07777);
  EXPECT_EQ(attacker, PidOf(a.set, "attacker"));  // the services carry on
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ReloadVolumeTrust, AFifoAtADestinationNeverBlocksPid1) {
  Attacked a;
  std::string dest = a.owned + "/app.conf";
  a.Run("app.conf", "rm -f " + dest + " && mkfifo " + dest);
  Process& p = *a.p;
  struct stat st;
  ASSERT_EQ(0, lstat(dest.c_str(), &st));
  ASSERT_TRUE(S_ISFIFO(st.st_mode));

  Replace(a.volume + dest, "two\n");
  ASSERT_TRUE(WaitFor([&] {
    return Grep(p.Stderr(), "config volume: installed " + dest).size() == 2;
  })) << p.Stderr();
  CtlResult r = Ctl(a.set, {"status"});
  EXPECT_EQ(0, r.code) << r.err;
  ASSERT_EQ(0, lstat(dest.c_str(), &st));
  ASSERT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ("two\n", ReadFile(dest));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ReloadVolumeTrust, ASetuidFileInTheVolumeIsInstalledWithoutTheBit) {
  Set set;
  std::string volume = set.path("volume"), tool = set.path("bin/tool");
  Mkdirs(volume + set.path("bin"));
  WriteFile(volume + tool, "#!/bin/sh\nid\n");
  ASSERT_EQ(0, chown((volume + tool).c_str(), 1000, 1000));
  ASSERT_EQ(0, chmod((volume + tool).c_str(), 04755));
  set.Add("app", Recorder("app"));
  RunOptions o;
  o.env["STEWARD_CONFIG_VOLUME"] = volume;
  Process p(set.Args(), o);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  struct stat st;
  ASSERT_EQ(0, stat(tool.c_str(), &st));
  EXPECT_EQ(0755u, st.st_mode & 07777);
  EXPECT_EQ(0u, st.st_uid);
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: config volume: " + volume + tool +
                                     " has the setuid or setgid bit; installed " + tool +
                                     " as 0755 without it").size())
      << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

}  // namespace
}  // namespace steward::testing
