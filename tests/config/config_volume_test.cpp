// The configuration volume (SPEC §7): installing a tree, templates, the
// kubelet's layout, and validating what it would give before installing.
#include "steward/config/config_volume.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "volume_tree.hpp"

namespace steward {
namespace {

using namespace volume_test;

TEST(ConfigVolume, InstallsTheTreeOverTheRoot) {
  Tree volume, root;
  volume.Write("etc/nginx/nginx.conf", "worker_processes 2;\n");
  volume.Write("usr/local/bin/hook", "#!/bin/sh\n", 0755);
  root.Write("etc/nginx/nginx.conf", "worker_processes 1;\n");
  root.Write("etc/other", "untouched\n");
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ((std::vector<std::string>{root.path() + "/etc/nginx/nginx.conf",
                                      root.path() + "/usr/local/bin/hook"}),
            r.installed);
  EXPECT_EQ("worker_processes 2;\n", root.Read("etc/nginx/nginx.conf"));
  EXPECT_EQ("untouched\n", root.Read("etc/other"));
  EXPECT_EQ(0755u, root.Mode("usr/local/bin/hook"));
}

TEST(ConfigVolume, TemplatesAreInterpolatedAndLoseTheSuffix) {
  Tree volume, root;
  volume.Write("etc/app.conf.tmpl", "env=${APP_ENV:-prod} port=${PORT} cost=$$5\n");
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {{"PORT", "8080"}});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ("env=prod port=8080 cost=$5\n", root.Read("etc/app.conf"));
  EXPECT_EQ("", root.Read("etc/app.conf.tmpl"));
}

TEST(ConfigVolume, EveryBadFileIsReportedAndNothingInstalled) {
  Tree volume, root;
  volume.Write("a.tmpl", "${MISSING}\n");
  volume.Write("b", "fine\n");
  symlink("/etc/passwd", (volume.path() + "/c").c_str());
  root.Write("b", "old\n");
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  ASSERT_EQ(2u, r.errors.size());
  EXPECT_EQ(0u, r.errors[0].find(volume.path() + "/a.tmpl: "));
  EXPECT_NE(std::string::npos, r.errors[0].find("MISSING"));
  EXPECT_EQ(volume.path() + "/c: a link out of the volume (to /etc/passwd) is not followed; copy "
                            "the file itself into the volume",
            r.errors[1]);
  EXPECT_TRUE(r.installed.empty());
  EXPECT_EQ("old\n", root.Read("b"));  // a template that fails installs nothing (SPEC §7)
}

// The layout the kubelet gives a ConfigMap volume: every key a link into
// ..data, itself a link to a timestamped directory swapped atomically.
TEST(ConfigVolume, KubernetesConfigMapLayoutIsFollowed) {
  Tree volume, root;
  volume.Write("..2026_12_01_20_00_00.1/etc/app.conf", "a=1\n");
  volume.Write("..2026_12_01_20_00_00.1/motd.tmpl", "port ${PORT}\n");
  ASSERT_EQ(0, symlink("..2026_12_01_20_00_00.1", (volume.path() + "/..data").c_str()));
  ASSERT_EQ(0, symlink("..data/etc", (volume.path() + "/etc").c_str()));
  ASSERT_EQ(0, symlink("..data/motd.tmpl", (volume.path() + "/motd.tmpl").c_str()));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {{"PORT", "80"}});
  EXPECT_EQ(std::vector<std::string>{}, r.errors);
  EXPECT_EQ((std::vector<std::string>{root.path() + "/etc/app.conf", root.path() + "/motd"}),
            r.installed);
  EXPECT_EQ("a=1\n", root.Read("etc/app.conf"));
  EXPECT_EQ("port 80\n", root.Read("motd"));
  EXPECT_EQ("", root.Read("..data/etc/app.conf"));
}

TEST(ConfigVolume, AFileThatIsAlreadyInstalledIsNotRewritten) {
  Tree volume, root;
  volume.Write("etc/same", "x\n");
  volume.Write("etc/new", "y\n");
  root.Write("etc/same", "x\n");
  struct stat before;
  ASSERT_EQ(0, stat((root.path() + "/etc/same").c_str(), &before));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(std::vector<std::string>{root.path() + "/etc/new"}, r.installed);
  EXPECT_EQ(std::vector<std::string>{root.path() + "/etc/same"}, r.unchanged);
  struct stat after;
  ASSERT_EQ(0, stat((root.path() + "/etc/same").c_str(), &after));
  EXPECT_EQ(before.st_ino, after.st_ino);
}

// A file at the top of the volume goes to the top of the root, "/" in
// production (here "/" of a chroot).
TEST(ConfigVolume, AFileAtTheTopGoesToTheRootDirectory) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chroot";
  Tree root;
  root.Write("config/motd", "hello\n");
  root.Write("config/etc/issue", "steward\n");
  pid_t pid = fork();
  if (pid == 0) {
    if (chroot(root.path().c_str()) != 0 || chdir("/") != 0) _exit(10);
    VolumeResult r = InstallConfigVolume("/config", "/", {});
    _exit(r.errors.empty() && r.installed == std::vector<std::string>{"/etc/issue", "/motd"} ? 0 : 1);
  }
  int st;
  ASSERT_EQ(pid, waitpid(pid, &st, 0));
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ("hello\n", root.Read("motd"));
  EXPECT_EQ("steward\n", root.Read("etc/issue"));
}

TEST(ConfigVolume, MissingVolumeNamesTheFix) {
  VolumeResult r = InstallConfigVolume("/nonexistent/config", "/tmp", {});
  ASSERT_EQ(1u, r.errors.size());
  EXPECT_EQ("config volume /nonexistent/config: No such file or directory (mount it, or unset "
            "config_volume / STEWARD_CONFIG_VOLUME)",
            r.errors[0]);
}

std::string ServicesDir(const Tree& root) { return root.path() + "/etc/services"; }

LoadRequest RequestFor(const Tree& root) {
  LoadRequest req;
  req.services_dir = ServicesDir(root);
  return req;
}

// SPEC §7: the configuration a volume would give is validated whole before
// anything of it is installed; a refused one installs nothing, a good one
// pushed after it goes in.
TEST(ConfigVolume, ABadServiceFileInTheVolumeInstallsNothingAndAGoodOneAfterItDoes) {
  Tree volume, root;
  root.Write("etc/services/app.toml", "command = \"sleep 1\"\n");
  root.Write("etc/services/db.toml", "command = \"sleep 2\"\n");
  volume.Write("etc/services/app.toml", "command = \"sleep 3\"\nrestrat = \"always\"\n");
  volume.Write("etc/services/web.toml", "command = \"sleep 4\"\ndepends_on = [\"dbb\"]\n");
  volume.Write("etc/nginx.conf", "x\n");
  RenderedVolume v = RenderConfigVolume(volume.path(), root.path(), {});
  ASSERT_EQ(std::vector<std::string>{}, v.errors);
  std::vector<std::string> errors;
  EXPECT_FALSE(CheckVolumeConfig(v, RequestFor(root), &errors));
  EXPECT_EQ((std::vector<std::string>{
                volume.path() + "/etc/services/app.toml:2:1: unknown key 'restrat' (did you mean "
                                "'restart'?)",
                volume.path() + "/etc/services/web.toml:2:15: unknown service 'dbb' in "
                                "depends_on (did you mean 'db'?)"}),
            errors);
  EXPECT_EQ("command = \"sleep 1\"\n", root.Read("etc/services/app.toml"));
  EXPECT_FALSE(Exists(root.path() + "/etc/nginx.conf"));
  EXPECT_FALSE(Exists(root.path() + "/etc/services/web.toml"));

  volume.Write("etc/services/app.toml", "command = \"sleep 3\"\nrestart = \"always\"\n");
  volume.Write("etc/services/web.toml", "command = \"sleep 4\"\ndepends_on = [\"db\"]\n");
  v = RenderConfigVolume(volume.path(), root.path(), {});
  errors.clear();
  EXPECT_TRUE(CheckVolumeConfig(v, RequestFor(root), &errors)) << errors.front();
  VolumeResult r = InstallRendered(v);
  EXPECT_EQ(std::vector<std::string>{}, r.errors);
  EXPECT_EQ(3u, r.installed.size());
  Config config;
  EXPECT_TRUE(LoadConfig(RequestFor(root), &config, &errors));
  ASSERT_NE(nullptr, config.Find("web"));
  EXPECT_EQ(std::vector<std::string>{"db"}, config.Find("web")->depends_on);
}

// The configuration that results counts, not the volume's files alone: a
// service the volume depends on but does not bring must be on disk.
TEST(ConfigVolume, TheVolumeIsValidatedTogetherWithWhatItWouldReplace) {
  Tree volume, root;
  root.Write("etc/services/app.toml", "command = \"sleep 1\"\ndepends_on = [\"db\"]\n");
  root.Write("etc/services/db.toml", "command = \"sleep 2\"\n");
  volume.Write("etc/services/db.toml", "command = \"sleep 2\"\nenabled = false\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(CheckVolumeConfig(RenderConfigVolume(volume.path(), root.path(), {}),
                                 RequestFor(root), &errors));
  EXPECT_EQ((std::vector<std::string>{ServicesDir(root) + "/app.toml:2:15: 'app' depends on "
                                                          "'db', which has enabled = false"}),
            errors);
}

TEST(ConfigVolume, AnEventThatChangedNothingIsToldApart) {
  Tree volume, root;
  volume.Write("etc/app.conf", "x\n");
  EXPECT_FALSE(RenderedVolumeInstalled(RenderConfigVolume(volume.path(), root.path(), {})));
  InstallConfigVolume(volume.path(), root.path(), {});
  chmod((volume.path() + "/etc/app.conf").c_str(), 0644);  // touched: same mode, same bytes
  EXPECT_TRUE(RenderedVolumeInstalled(RenderConfigVolume(volume.path(), root.path(), {})));
  volume.Write("etc/app.conf", "y\n");
  EXPECT_FALSE(RenderedVolumeInstalled(RenderConfigVolume(volume.path(), root.path(), {})));
}

}  // namespace
}  // namespace steward
