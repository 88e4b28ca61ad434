// The configuration volume at start (SPEC §7), through the real binary as
// PID 1: installed over the root before anything starts, or nothing starts.
#include "supervisor_support.hpp"

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
