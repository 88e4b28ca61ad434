// The path walker against what a service can put in a directory it owns:
// links at every component, FIFOs, sockets, devices, hard links, and a link
// swapped in while the walk runs. Runs as root (the tests' user), with the
// "service's" directories owned by nobody.
#include "steward/util/safe_path.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace steward {
namespace {

constexpr uid_t kNobody = 65534;

class SafePath : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(0, chmod(root_.c_str(), 0755));
    // A root-only secret, and a directory the "service" owns.
    Mkdir("/secret", 0700);
    Write("/secret/shadow", "root-only\n", 0600);
    Mkdir("/svc", 0755);
    ASSERT_EQ(0, chown(P("/svc").c_str(), kNobody, kNobody));
  }

  std::string P(const std::string& rel) const { return root_ + rel; }
  void Mkdir(const std::string& rel, mode_t mode) {
    ASSERT_EQ(0, mkdir(P(rel).c_str(), mode));
    ASSERT_EQ(0, chmod(P(rel).c_str(), mode));
  }
  void Write(const std::string& rel, const std::string& text, mode_t mode) {
    int fd = open(P(rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ssize_t(text.size()), write(fd, text.data(), text.size()));
    close(fd);
    ASSERT_EQ(0, chmod(P(rel).c_str(), mode));
  }
  void Link(const std::string& target, const std::string& rel, uid_t owner = 0) {
    ASSERT_EQ(0, symlink(target.c_str(), P(rel).c_str()));
    ASSERT_EQ(0, lchown(P(rel).c_str(), owner, owner));
  }
  std::string Slurp(const std::string& rel) {
    std::string s;
    PathError e;
    EXPECT_TRUE(ReadSafely(P(rel), 1 << 20, &s, &e)) << e.text;
    return s;
  }

  bool Append(const std::string& rel, PathError* e, bool parents = false) {
    SafeFile f;
    OpenRequest req{O_WRONLY | O_APPEND | O_CREAT, 0640};
    req.make_parents = parents;
    if (!OpenSafely(P(rel), req, &f, e)) return false;
    return write(f.fd.get(), "x\n", 2) == 2;
  }

  testing::TempDir tmp_{"safepath"};
  std::string root_ = tmp_.path();
};

TEST_F(SafePath, OpensAndCreatesAPlainFileWithItsParents) {
  PathError e;
  EXPECT_TRUE(Append("/logs/a/b.log", &e, true)) << e.text;
  EXPECT_EQ("x\n", Slurp("/logs/a/b.log"));
  SafeFile f;
  ASSERT_TRUE(OpenSafely(P("/logs/a/b.log"), OpenRequest{O_RDONLY}, &f, &e));
  EXPECT_TRUE(f.dir_trusted);
  EXPECT_FALSE(f.created);
  EXPECT_EQ("b.log", f.name);
}

TEST_F(SafePath, MissingParentIsENOENTWithoutMakeParents) {
  PathError e;
  EXPECT_FALSE(Append("/nope/b.log", &e));
  EXPECT_EQ(ENOENT, e.err);
}

TEST_F(SafePath, RefusesALinkAtTheFileInAServicesDirectory) {
  Link(P("/secret/shadow"), "/svc/app.log", kNobody);
  PathError e;
  EXPECT_FALSE(Append("/svc/app.log", &e));
  EXPECT_EQ(ELOOP, e.err);
  EXPECT_EQ(P("/svc/app.log") + ": is a symbolic link in " + P("/svc") +
                ", which uid 65534 owns; steward does not follow it",
            e.text);
  EXPECT_EQ("root-only\n", Slurp("/secret/shadow"));
}

TEST_F(SafePath, RefusesALinkAtAParentInAServicesDirectory) {
  Link(P("/secret"), "/svc/sub", kNobody);
  PathError e;
  EXPECT_FALSE(Append("/svc/sub/shadow", &e));
  EXPECT_EQ(ELOOP, e.err);
  EXPECT_FALSE(Append("/svc/sub/new.log", &e, true));
  EXPECT_EQ(ELOOP, e.err);
  EXPECT_EQ("root-only\n", Slurp("/secret/shadow"));
  struct stat st;
  EXPECT_NE(0, stat(P("/secret/new.log").c_str(), &st));
}

TEST_F(SafePath, RefusesADanglingLinkInsteadOfCreatingItsTarget) {
  Link(P("/secret/created-by-link"), "/svc/app.log", kNobody);
  PathError e;
  EXPECT_FALSE(Append("/svc/app.log", &e));
  EXPECT_EQ(ELOOP, e.err);
  struct stat st;
  EXPECT_NE(0, stat(P("/secret/created-by-link").c_str(), &st));
}

TEST_F(SafePath, RefusesALinkRootOwnedButInAServicesDirectory) {
  // The service cannot make a root-owned link, but a root-owned one may be
  // left in its directory: the directory, not the link, decides.
  Link(P("/secret/shadow"), "/svc/app.log", 0);
  PathError e;
  EXPECT_FALSE(Append("/svc/app.log", &e));
  EXPECT_EQ(ELOOP, e.err);
}

TEST_F(SafePath, RefusesALinkInAWorldWritableStickyDirectory) {
  Mkdir("/tmp", 01777);
  Link(P("/secret/shadow"), "/tmp/x", kNobody);
  PathError e;
  std::string s;
  EXPECT_FALSE(ReadSafely(P("/tmp/x"), 100, &s, &e));
  EXPECT_EQ(ELOOP, e.err);
  EXPECT_EQ(P("/tmp/x") + ": is a symbolic link in " + P("/tmp") +
                ", which everyone can write (mode 1777); steward does not follow it",
            e.text);
}

TEST_F(SafePath, FollowsRootsLinksInRootsDirectoriesLikeTheKubeletsLayout) {
  // /vol/key -> ..data/key, ..data -> ..2026_12_07, all root's.
  Mkdir("/vol", 0755);
  Mkdir("/vol/..2026_12_07", 0755);
  Write("/vol/..2026_12_07/key", "value\n", 0644);
  Link("..2026_12_07", "/vol/..data");
  Link("..data/key", "/vol/key");
  EXPECT_EQ("value\n", Slurp("/vol/key"));
  // An absolute link and one through "..".
  Link(P("/vol/key"), "/abs");
  Link("../vol/key", "/secret/rel");
  EXPECT_EQ("value\n", Slurp("/abs"));
  EXPECT_EQ("value\n", Slurp("/secret/rel"));
}

TEST_F(SafePath, FollowsRootsLinksOnAReadOnlyMountWhateverItsModes) {
  // The kubelet mounts a ConfigMap read-only with its directory at 0777: no
  // one in the container can change it, so its root-owned links are followed.
  Mkdir("/cm", 0777);
  Mkdir("/cm/..2026_12_07", 0755);
  Write("/cm/..2026_12_07/key", "value\n", 0644);
  Link("..2026_12_07", "/cm/..data");
  Link("..data/key", "/cm/key");
  std::string s;
  PathError e;
  EXPECT_FALSE(ReadSafely(P("/cm/key"), 100, &s, &e));  // writable: refused
  EXPECT_EQ(ELOOP, e.err);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A mount namespace of its own, so the machine's mounts are untouched.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount(P("/cm").c_str(), P("/cm").c_str(), nullptr, MS_BIND, nullptr) != 0 ||
        mount(nullptr, P("/cm").c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      _exit(2);
    }
    std::string got;
    PathError err;
    _exit(ReadSafely(P("/cm/key"), 100, &got, &err) && got == "value\n" ? 0 : 1);
  }
  int st;
  ASSERT_EQ(pid, waitpid(pid, &st, 0));
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(SafePath, RefusesALinkLoop) {
  Link("b", "/a");
  Link("a", "/b");
  PathError e;
  std::string s;
  EXPECT_FALSE(ReadSafely(P("/a"), 100, &s, &e));
  EXPECT_EQ(ELOOP, e.err);
}

TEST_F(SafePath, NeverBlocksOnAFifoForReadingOrWriting) {
  ASSERT_EQ(0, mkfifo(P("/svc/app.log").c_str(), 0666));
  PathError e;
  EXPECT_FALSE(Append("/svc/app.log", &e));
  EXPECT_EQ(ENXIO, e.err);
  EXPECT_EQ(P("/svc/app.log") + ": is a FIFO, not a regular file", e.text);
  std::string s;
  EXPECT_FALSE(ReadSafely(P("/svc/app.log"), 100, &s, &e));
  EXPECT_EQ(ENXIO, e.err);
}

TEST_F(SafePath, RefusesASocketADeviceAndADirectory) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string sp = P("/svc/sock");
  ASSERT_LT(sp.size(), sizeof a.sun_path);
  memcpy(a.sun_path, sp.c_str(), sp.size() + 1);
  ASSERT_EQ(0, bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
  close(s);
  PathError e;
  std::string out;
  EXPECT_FALSE(ReadSafely(sp, 100, &out, &e));
  EXPECT_EQ(ENXIO, e.err);
  EXPECT_EQ(sp + ": is a socket, not a regular file", e.text);
  ASSERT_EQ(0, mknod(P("/svc/zero").c_str(), S_IFCHR | 0666, makedev(1, 5)));
  EXPECT_FALSE(ReadSafely(P("/svc/zero"), 100, &out, &e));
  EXPECT_EQ(ENXIO, e.err);
  EXPECT_EQ(P("/svc/zero") + ": is a character device, not a regular file", e.text);
  Mkdir("/svc/d", 0755);
  EXPECT_FALSE(ReadSafely(P("/svc/d"), 100, &out, &e));
  EXPECT_EQ(EISDIR, e.err);
}

TEST_F(SafePath, RefusesALinkToDevZeroAndBoundsReads) {
  Link("/dev/zero", "/svc/env", kNobody);
  PathError e;
  std::string out;
  EXPECT_FALSE(ReadSafely(P("/svc/env"), 1 << 20, &out, &e));
  EXPECT_EQ(ELOOP, e.err);
  Write("/big", std::string(5000, 'a'), 0644);
  EXPECT_FALSE(ReadSafely(P("/big"), 4096, &out, &e));
  EXPECT_EQ(EFBIG, e.err);
  EXPECT_EQ(P("/big") + ": is 5000 bytes, more than the 4096 steward reads", e.text);
}

TEST_F(SafePath, RefusesAHardLinkInAServicesDirectoryOnly) {
  ASSERT_EQ(0, link(P("/secret/shadow").c_str(), P("/svc/app.log").c_str()));
  PathError e;
  EXPECT_FALSE(Append("/svc/app.log", &e));
  EXPECT_EQ(EMLINK, e.err);
  EXPECT_EQ("root-only\n", Slurp("/secret/shadow"));
  // In root's own directory a second link is root's doing.
  ASSERT_EQ(0, link(P("/secret/shadow").c_str(), P("/secret/second").c_str()));
  EXPECT_TRUE(Append("/secret/second", &e)) << e.text;
}

TEST_F(SafePath, ExclusiveCreateBesideAnOpenFile) {
  PathError e;
  SafeFile f;
  ASSERT_TRUE(OpenSafely(P("/svc/app.log"), OpenRequest{O_WRONLY | O_CREAT | O_APPEND, 0640}, &f, &e))
      << e.text;
  EXPECT_FALSE(f.dir_trusted);
  EXPECT_TRUE(f.created);
  SafeFile g;
  ASSERT_TRUE(OpenBeside(f.dir.get(), f.dir_trusted, "tmp.1",
                         OpenRequest{O_WRONLY | O_CREAT | O_EXCL, 0600}, &g, &e))
      << e.text;
  SafeFile h;
  EXPECT_FALSE(OpenBeside(f.dir.get(), f.dir_trusted, "tmp.1",
                          OpenRequest{O_WRONLY | O_CREAT | O_EXCL, 0600}, &h, &e));
  EXPECT_EQ(EEXIST, e.err);
  Link(P("/secret/shadow"), "/svc/evil", kNobody);
  EXPECT_FALSE(OpenBeside(f.dir.get(), f.dir_trusted, "evil", OpenRequest{O_WRONLY | O_APPEND}, &h, &e));
  EXPECT_EQ(ELOOP, e.err);
  EXPECT_FALSE(OpenBeside(f.dir.get(), f.dir_trusted, "../secret/shadow", OpenRequest{O_RDONLY}, &h, &e));
  EXPECT_EQ(EINVAL, e.err);
}

TEST_F(SafePath, OpensAndCreatesDirectories) {
  PathError e;
  SafeFile d;
  OpenRequest req{O_CREAT, 0700};
  req.directory = true;
  req.make_parents = true;
  ASSERT_TRUE(OpenSafely(P("/run/steward"), req, &d, &e)) << e.text;
  EXPECT_TRUE(S_ISDIR(d.st.st_mode));
  EXPECT_EQ(0700u, d.st.st_mode & 07777);
  Write("/file", "", 0644);
  EXPECT_FALSE(OpenSafely(P("/file"), req, &d, &e));
  EXPECT_EQ(ENOTDIR, e.err);
}

TEST_F(SafePath, AWalkRacingALinkSwapNeverReachesTheTarget) {
  // The attacker flips /svc/sub between a directory of its own and a link
  // to /secret as fast as it can while root opens /svc/sub/shadow.
  Mkdir("/svc/real", 0755);
  Write("/svc/real/shadow", "mine\n", 0644);
  ASSERT_EQ(0, chown(P("/svc/real").c_str(), kNobody, kNobody));
  std::atomic<bool> stop{false};
  std::thread attacker([&] {
    std::string sub = P("/svc/sub"), real = P("/svc/real"), secret = P("/secret");
    while (!stop) {
      (void)rename(real.c_str(), sub.c_str());  // sub: the service's directory
      (void)rename(sub.c_str(), real.c_str());
      (void)symlink(secret.c_str(), sub.c_str());  // sub: a link to root's
      (void)unlink(sub.c_str());
    }
  });
  struct stat secret;
  ASSERT_EQ(0, stat(P("/secret/shadow").c_str(), &secret));
  int opened = 0;
  for (int i = 0; i < 1500; ++i) {
    SafeFile f;
    PathError e;
    if (OpenSafely(P("/svc/sub/shadow"), OpenRequest{O_RDONLY}, &f, &e)) {
      EXPECT_NE(secret.st_ino, f.st.st_ino);
      ++opened;
    }
  }
  stop = true;
  attacker.join();
  // Some opens saw the service's own directory: the race was run, not dodged.
  RecordProperty("opened", opened);
}

TEST_F(SafePath, UnlinkNeverFollowsASwappedParent) {
  Link(P("/secret"), "/svc/run", kNobody);
  PathError e;
  EXPECT_FALSE(UnlinkSafely(P("/svc/run/shadow"), &e));
  EXPECT_EQ(ELOOP, e.err);
  EXPECT_EQ("root-only\n", Slurp("/secret/shadow"));
  Write("/svc/ready", "", 0644);
  EXPECT_TRUE(UnlinkSafely(P("/svc/ready"), &e)) << e.text;
  struct stat st;
  EXPECT_NE(0, lstat(P("/svc/ready").c_str(), &st));
  EXPECT_TRUE(UnlinkSafely(P("/svc/ready"), &e)) << e.text;      // already gone
  EXPECT_TRUE(UnlinkSafely(P("/nodir/ready"), &e)) << e.text;    // no directory
}

TEST(SafePathWho, NamesWhoElseCanWrite) {
  struct stat st {};
  st.st_uid = 0;
  st.st_gid = 0;
  st.st_mode = S_IFREG | 0644;
  EXPECT_EQ("", WhoElseCanWrite(st, kNobody));
  st.st_mode = S_IFREG | 0666;
  EXPECT_EQ("writable by others (mode 0666)", WhoElseCanWrite(st, kNobody));
  st.st_mode = S_IFREG | 0664;
  st.st_gid = 50;
  EXPECT_EQ("writable by group 50 (mode 0664)", WhoElseCanWrite(st, kNobody));
  st.st_mode = S_IFREG | 0644;
  st.st_uid = kNobody;
  EXPECT_EQ("", WhoElseCanWrite(st, kNobody));
  EXPECT_EQ("owned by uid 65534", WhoElseCanWrite(st, uid_t(-1)));
}

}  // namespace
}  // namespace steward
