// The configuration volume against the attacker (SPEC "Trust"): random
// O_EXCL temporary names, links and FIFOs at destinations, setuid bits,
// files others can write, links and hard links out of the volume.
#include "steward/config/config_volume.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <regex>

#include "volume_tree.hpp"

namespace steward {
namespace {

using namespace volume_test;

TEST(ConfigVolumeTrust, TemporaryNamesAreUnpredictableAndLeftBehindNowhere) {
  Tree volume, root;
  volume.Write("etc/app.conf", "one\n");
  root.Write("etc/keep", "k\n");
  std::vector<std::string> names = CreatedIn(root.path() + "/etc", [&] {
    EXPECT_EQ(std::vector<std::string>{}, InstallConfigVolume(volume.path(), root.path(), {}).errors);
  });
  volume.Write("etc/app.conf", "two\n");
  std::vector<std::string> again = CreatedIn(root.path() + "/etc", [&] {
    EXPECT_EQ(std::vector<std::string>{}, InstallConfigVolume(volume.path(), root.path(), {}).errors);
  });
  ASSERT_EQ(1u, names.size());
  ASSERT_EQ(1u, again.size());
  std::regex random(R"(\.steward-[0-9a-f]{16}\.tmp)");
  EXPECT_TRUE(std::regex_match(names[0], random)) << names[0];
  EXPECT_TRUE(std::regex_match(again[0], random)) << again[0];
  EXPECT_NE(names[0], again[0]);
  EXPECT_EQ("two\n", root.Read("etc/app.conf"));
  EXPECT_EQ((std::vector<std::string>{"app.conf", "keep"}), Entries(root.path() + "/etc"));
}

// What an attacker could aim the old predictable name at is never touched.
TEST(ConfigVolumeTrust, ALinkAtTheOldTemporaryNameIsNotFollowed) {
  Tree volume, root, victim;
  volume.Write("etc/app.conf", "new\n");
  victim.Write("secret", "root only\n", 0600);
  root.Write("etc/app.conf", "old\n");
  std::string old_tmp = root.path() + "/etc/app.conf.steward-" + std::to_string(getpid()) + ".tmp";
  ASSERT_EQ(0, symlink((victim.path() + "/secret").c_str(), old_tmp.c_str()));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_EQ(std::vector<std::string>{}, r.errors);
  EXPECT_EQ("new\n", root.Read("etc/app.conf"));
  EXPECT_EQ("root only\n", victim.Read("secret"));
  EXPECT_EQ(0600u, victim.Mode("secret"));
}

// A service that owns a destination directory swaps a subdirectory for a
// link to a root-only directory: steward does not follow it, and installs
// nothing at all.
TEST(ConfigVolumeTrust, ALinkAtAParentDirectoryIsRefusedAndNothingInstalled) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to play a nobody-owned directory";
  Tree volume, root, victim;
  volume.Write("etc/a.conf", "a\n");
  volume.Write("srv/app/conf/b.conf", "b\n");
  victim.Write("b.conf", "root only\n", 0600);
  root.Write("etc/a.conf", "old a\n");
  root.Write("srv/app/placeholder", "");
  std::string app = root.path() + "/srv/app";
  ASSERT_EQ(0, chown(app.c_str(), kNobody, kNobody));
  ASSERT_EQ(0, symlink(victim.path().c_str(), (app + "/conf").c_str()));
  ASSERT_EQ(0, lchown((app + "/conf").c_str(), kNobody, kNobody));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  ASSERT_EQ(1u, r.errors.size());
  EXPECT_EQ(volume.path() + "/srv/app/conf/b.conf: not installed: " + app + "/conf: is a "
                "symbolic link in " + app + ", which uid 65534 owns; steward does not follow it",
            r.errors[0]);
  EXPECT_TRUE(r.installed.empty());
  EXPECT_EQ("root only\n", victim.Read("b.conf"));
  EXPECT_EQ(0600u, victim.Mode("b.conf"));
  EXPECT_EQ("old a\n", root.Read("etc/a.conf"));
  EXPECT_EQ((std::vector<std::string>{"a.conf"}), Entries(root.path() + "/etc"));
}

// A FIFO where a file goes: replaced, never opened (it would block).
TEST(ConfigVolumeTrust, AFifoAtADestinationIsReplacedWithoutBlocking) {
  Tree volume, root;
  volume.Write("etc/app.conf", "x\n");
  root.Write("etc/other", "");
  ASSERT_EQ(0, mkfifo((root.path() + "/etc/app.conf").c_str(), 0666));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_EQ(std::vector<std::string>{}, r.errors);
  EXPECT_EQ(std::vector<std::string>{root.path() + "/etc/app.conf"}, r.installed);
  EXPECT_EQ("x\n", root.Read("etc/app.conf"));
}

TEST(ConfigVolumeTrust, SetuidAndSetgidAreStrippedWithAWarning) {
  Tree volume, root;
  volume.Write("usr/local/bin/tool", "#!/bin/sh\n", 04755);
  volume.Write("usr/local/bin/other", "#!/bin/sh\n", 02755);
  if (geteuid() == 0) {  // owned by someone else, as a sidecar's file would be
    ASSERT_EQ(0, chown((volume.path() + "/usr/local/bin/tool").c_str(), 1000, 1000));
    ASSERT_EQ(0, chmod((volume.path() + "/usr/local/bin/tool").c_str(), 04755));  // chown cleared it
  }
  ASSERT_EQ(04755u, volume.Mode("usr/local/bin/tool"));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_EQ(std::vector<std::string>{}, r.errors);
  EXPECT_EQ(0755u, root.Mode("usr/local/bin/tool"));
  EXPECT_EQ(0755u, root.Mode("usr/local/bin/other"));
  EXPECT_EQ((std::vector<std::string>{
                "config volume: " + volume.path() + "/usr/local/bin/other has the setuid or setgid "
                "bit; installed " + root.path() + "/usr/local/bin/other as 0755 without it",
                "config volume: " + volume.path() + "/usr/local/bin/tool has the setuid or setgid "
                "bit; installed " + root.path() + "/usr/local/bin/tool as 0755 without it"}),
            r.warnings);
  // Installed already: nothing rewritten, nothing said again.
  r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_TRUE(r.installed.empty());
  EXPECT_TRUE(r.warnings.empty());
}

TEST(ConfigVolumeTrust, FilesAndDirectoriesWritableByOthersAreRefused) {
  Tree volume, root;
  volume.Write("etc/app.conf", "x\n", 0666);
  volume.Write("srv/open/b.conf", "b\n");
  volume.Write("srv/fine.conf", "f\n");
  ASSERT_EQ(0, chmod((volume.path() + "/srv/open").c_str(), 0777));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_EQ((std::vector<std::string>{
                volume.path() + "/etc/app.conf: a file writable by others (mode 0666): anyone in "
                "the container could make steward install a file as root (chmod o-w " +
                    volume.path() + "/etc/app.conf, or mount the volume read-only)",
                volume.path() + "/srv/open: a directory writable by others (mode 0777): anyone in "
                "the container could make steward install a file as root (chmod o-w " +
                    volume.path() + "/srv/open, or mount the volume read-only)"}),
            r.errors);
  EXPECT_TRUE(r.installed.empty());
  EXPECT_FALSE(Entries(root.path()).size());
}

// A link inside the volume that a sidecar aims at a root-only file is not
// read, in whatever way it is written.
TEST(ConfigVolumeTrust, LinksOutOfTheVolumeAreNeverRead) {
  Tree volume, root, victim;
  victim.Write("shadow", "root only\n", 0600);
  volume.Write("etc/ok", "ok\n");
  ASSERT_EQ(0, symlink((victim.path() + "/shadow").c_str(), (volume.path() + "/etc/abs").c_str()));
  ASSERT_EQ(0, symlink(("../.." + victim.path() + "/shadow").c_str(),
                       (volume.path() + "/etc/rel").c_str()));
  ASSERT_EQ(0, symlink(victim.path().c_str(), (volume.path() + "/dir").c_str()));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  ASSERT_EQ(3u, r.errors.size());
  EXPECT_EQ(volume.path() + "/dir: a link out of the volume (to " + victim.path() +
                ") is not followed; copy the file itself into the volume",
            r.errors[0]);
  EXPECT_EQ(volume.path() + "/etc/rel: a link that leaves the volume is not followed; copy the "
                            "file itself into the volume",
            r.errors[2]);
  EXPECT_TRUE(r.installed.empty());
  EXPECT_FALSE(Entries(root.path()).size());
}

// A sidecar that can write part of the volume hard-links a root-only file
// into it: steward does not read it (it would install it world-readable).
TEST(ConfigVolumeTrust, AHardLinkInAPartOfTheVolumeOthersOwnIsNotRead) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to play a sidecar-owned directory";
  Tree volume, root, victim;
  victim.Write("secret", "root only\n", 0600);
  volume.Write("etc/ok", "ok\n");
  std::string etc = volume.path() + "/etc";
  ASSERT_EQ(0, chown(etc.c_str(), kNobody, kNobody));
  ASSERT_EQ(0, link((victim.path() + "/secret").c_str(), (etc + "/secret").c_str()));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_EQ((std::vector<std::string>{etc + "/secret: has 2 hard links, in " + etc +
                                      ", which uid 65534 owns; steward does not use it"}),
            r.errors);
  EXPECT_FALSE(Entries(root.path()).size());
}

// The kubelet mounts a ConfigMap or Secret read-only on a tmpfs of mode
// 1777: nobody can write it, so it is accepted; the same volume writable is
// refused. In a child with a mount namespace of its own.
int RenderOnTmpfs(const Tree& volume, const Tree& root, bool read_only, std::string* first_error) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("tmpfs", volume.path().c_str(), "tmpfs", 0, "mode=1777") != 0)
      _exit(10);
    const std::string& v = volume.path();
    if (mkdir((v + "/..2026_12_01_20_00_00.1").c_str(), 0755) != 0 ||
        mkdir((v + "/..2026_12_01_20_00_00.1/etc").c_str(), 0755) != 0 ||
        symlink("..2026_12_01_20_00_00.1", (v + "/..data").c_str()) != 0 ||
        symlink("..data/etc", (v + "/etc").c_str()) != 0)
      _exit(11);
    int fd = open((v + "/..2026_12_01_20_00_00.1/etc/app.conf").c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd < 0 || write(fd, "a=1\n", 4) != 4) _exit(12);
    close(fd);
    if (read_only && mount(nullptr, v.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0)
      _exit(13);
    VolumeResult r = InstallConfigVolume(v, root.path(), {});
    std::string text = r.errors.empty() ? "" : r.errors[0];
    (void)!write(pipefd[1], text.data(), text.size());
    _exit(r.errors.empty() && r.installed.size() == 1 ? 0 : 1);
  }
  close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) first_error->append(buf, size_t(n));
  close(pipefd[0]);
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(ConfigVolumeTrust, AReadOnlyKubeletMountOfMode1777IsAcceptedAndAWritableOneRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  Tree volume, root;
  std::string error;
  ASSERT_EQ(0, RenderOnTmpfs(volume, root, true, &error)) << error;
  EXPECT_EQ("a=1\n", root.Read("etc/app.conf"));

  Tree writable, nothing;
  ASSERT_EQ(1, RenderOnTmpfs(writable, nothing, false, &error));
  EXPECT_EQ(writable.path() + ": a directory writable by others (mode 1777): anyone in the "
                              "container could make steward install a file as root (chmod o-w " +
                writable.path() + ", or mount the volume read-only)",
            error);
  EXPECT_FALSE(Entries(nothing.path()).size());
}

}  // namespace
}  // namespace steward
