#include "steward/config/config_volume.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "steward/config/env_file.hpp"

namespace steward {
namespace {

class Tree {
 public:
  Tree() {
    char tmpl[] = "/tmp/steward-volume-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~Tree() { (void)!system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& content, mode_t mode = 0644) {
    std::string p = path_ + "/" + rel;
    for (size_t at = p.find('/', path_.size() + 1); at != std::string::npos; at = p.find('/', at + 1))
      mkdir(p.substr(0, at).c_str(), 0755);
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    (void)!write(fd, content.data(), content.size());
    close(fd);
    chmod(p.c_str(), mode);
  }
  std::string Read(const std::string& rel) const {
    std::string content, err;
    ReadFile(path_ + "/" + rel, &content, &err);
    return content;
  }
  mode_t Mode(const std::string& rel) const {
    struct stat st;
    return stat((path_ + "/" + rel).c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  }

 private:
  std::string path_;
};

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
  volume.Write("a.tmpl", "# a template\nkey = ${MISSING}\n");
  volume.Write("b", "fine\n");
  symlink("/etc/passwd", (volume.path() + "/c").c_str());
  root.Write("b", "old\n");
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  ASSERT_EQ(2u, r.errors.size());
  EXPECT_EQ(volume.path() + "/a.tmpl:2:7: variable 'MISSING' is not set (use "
                            "${MISSING:-default} for a default)",
            r.errors[0]);
  EXPECT_EQ(volume.path() + "/c: not a regular file (links out of the volume and special files "
                            "are not installed; copy the file itself into the volume)",
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

TEST(ConfigVolume, MissingVolumeNamesTheFix) {
  VolumeResult r = InstallConfigVolume("/nonexistent/config", "/tmp", {});
  ASSERT_EQ(1u, r.errors.size());
  EXPECT_EQ("config volume /nonexistent/config: No such file or directory (mount it, or unset "
            "config_volume / STEWARD_CONFIG_VOLUME)",
            r.errors[0]);
}

}  // namespace
}  // namespace steward
