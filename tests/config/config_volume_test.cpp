#include "steward/config/config_volume.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <set>

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

TEST(ConfigVolume, MissingVolumeNamesTheFix) {
  VolumeResult r = InstallConfigVolume("/nonexistent/config", "/tmp", {});
  ASSERT_EQ(1u, r.errors.size());
  EXPECT_EQ("config volume /nonexistent/config: No such file or directory (mount it, or unset "
            "config_volume / STEWARD_CONFIG_VOLUME)",
            r.errors[0]);
}

constexpr uid_t kNobody = 65534;

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// The names of every file created in dir while fn runs.
std::vector<std::string> CreatedIn(const std::string& dir, const std::function<void()>& fn) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  EXPECT_LE(0, inotify_add_watch(fd, dir.c_str(), IN_CREATE));
  fn();
  std::vector<std::string> names;
  alignas(struct inotify_event) char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      if (ev->len) names.emplace_back(ev->name);
      p += sizeof(struct inotify_event) + ev->len;
    }
  }
  close(fd);
  return names;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = d ? readdir(d) : nullptr) {
    if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
      names.emplace_back(e->d_name);
  }
  if (d) closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ConfigVolume, TemporaryNamesAreUnpredictableAndLeftBehindNowhere) {
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
TEST(ConfigVolume, ALinkAtTheOldTemporaryNameIsNotFollowed) {
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
TEST(ConfigVolume, ALinkAtAParentDirectoryIsRefusedAndNothingInstalled) {
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
TEST(ConfigVolume, AFifoAtADestinationIsReplacedWithoutBlocking) {
  Tree volume, root;
  volume.Write("etc/app.conf", "x\n");
  root.Write("etc/other", "");
  ASSERT_EQ(0, mkfifo((root.path() + "/etc/app.conf").c_str(), 0666));
  VolumeResult r = InstallConfigVolume(volume.path(), root.path(), {});
  EXPECT_EQ(std::vector<std::string>{}, r.errors);
  EXPECT_EQ(std::vector<std::string>{root.path() + "/etc/app.conf"}, r.installed);
  EXPECT_EQ("x\n", root.Read("etc/app.conf"));
}

TEST(ConfigVolume, SetuidAndSetgidAreStrippedWithAWarning) {
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

TEST(ConfigVolume, FilesAndDirectoriesWritableByOthersAreRefused) {
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
TEST(ConfigVolume, LinksOutOfTheVolumeAreNeverRead) {
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
