// RotatingFile against the paths a service that owns the log directory can
// plant (issue 18.1, safe_path.hpp): nothing is followed, nothing blocks,
// no file but the sink's own regular file is written, and the records of a
// refused path are counted and announced once, with the fix.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "steward/log/sinks/rotating_file.hpp"

namespace steward::log {
namespace {

class RotatingFileSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    // A log directory a service owns (uid 65534): not trusted, so nothing
    // in it is followed (safe_path.hpp).
    char tmpl[] = "/tmp/steward-rotsafe-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
    ASSERT_EQ(0, chown(dir_.c_str(), 65534, 65534));
    secret_ = dir_ + "/secret";
    std::ofstream(secret_) << "root only\n";
    chmod(secret_.c_str(), 0600);
  }
  void TearDown() override { system(("rm -rf " + dir_).c_str()); }

  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  RotatingFile::Reporter Reporter() {
    return [this](bool error, const std::string& text) {
      messages_.push_back((error ? "error: " : "info: ") + text);
    };
  }
  // Appends three lines to path and expects them refused with err: counted,
  // one cause naming the path, the secret untouched, nothing reported as a
  // transient error (the sink announces the rejection).
  void ExpectRefused(const std::string& path, int err, const std::string& fix) {
    RotatingFile f("files", path, 0, 5, Reporter());
    EXPECT_TRUE(f.Append("one\ntwo\nthree\n"));
    EXPECT_FALSE(f.pending());
    EXPECT_TRUE(f.troubled());
    uint64_t lines = 0;
    SinkRejection why;
    ASSERT_TRUE(f.TakeRejected(&lines, &why));
    EXPECT_EQ(3u, lines);
    EXPECT_EQ("open:" + std::to_string(err) + ":" + path, why.cause);
    EXPECT_EQ(0u, why.text.find("files: cannot open " + path)) << why.text;
    EXPECT_NE(std::string::npos, why.text.find(" (" + fix + "); its records are dropped for this sink"))
        << why.text;
    EXPECT_EQ(0u, f.problem().find("cannot open " + path)) << f.problem();
    // Later lines are refused without a new attempt until Retry(), and
    // counted under the same cause.
    EXPECT_TRUE(f.Append("four\n"));
    ASSERT_TRUE(f.TakeRejected(&lines, &why));
    EXPECT_EQ(1u, lines);
    EXPECT_EQ("open:" + std::to_string(err) + ":" + path, why.cause);
    EXPECT_FALSE(f.Retry());
    EXPECT_EQ("root only\n", Read(secret_));
    EXPECT_TRUE(messages_.empty()) << messages_[0];
  }

  std::string dir_, secret_;
  std::vector<std::string> messages_;
};

const char kLinkFix[] =
    "replace the link with a regular file, or keep the sink's files in a directory only root can "
    "write";
const char kSpecialFix[] = "remove it: steward writes only regular files; or change the sink's path";

TEST_F(RotatingFileSafety, ASymlinkAtTheFileIsNotFollowed) {
  ASSERT_EQ(0, symlink(secret_.c_str(), (dir_ + "/a.log").c_str()));
  ExpectRefused(dir_ + "/a.log", ELOOP, kLinkFix);
}

TEST_F(RotatingFileSafety, ADanglingSymlinkCreatesNothing) {
  ASSERT_EQ(0, symlink((dir_ + "/created").c_str(), (dir_ + "/a.log").c_str()));
  ExpectRefused(dir_ + "/a.log", ELOOP, kLinkFix);
  EXPECT_NE(0, access((dir_ + "/created").c_str(), F_OK));
}

TEST_F(RotatingFileSafety, ASymlinkAtAParentIsNotFollowed) {
  ASSERT_EQ(0, mkdir((dir_ + "/real").c_str(), 0755));
  ASSERT_EQ(0, symlink((dir_ + "/real").c_str(), (dir_ + "/logs").c_str()));
  RotatingFile f("files", dir_ + "/logs/a.log", 0, 5, Reporter());
  EXPECT_TRUE(f.Append("one\n"));
  uint64_t lines = 0;
  SinkRejection why;
  ASSERT_TRUE(f.TakeRejected(&lines, &why));
  EXPECT_EQ(1u, lines);
  EXPECT_EQ("open:" + std::to_string(ELOOP) + ":" + dir_ + "/logs/a.log", why.cause);
  EXPECT_NE(std::string::npos, why.text.find(dir_ + "/logs")) << why.text;
  EXPECT_NE(0, access((dir_ + "/real/a.log").c_str(), F_OK));
}

TEST_F(RotatingFileSafety, AFifoNeverBlocks) {
  ASSERT_EQ(0, mkfifo((dir_ + "/a.log").c_str(), 0666));
  ExpectRefused(dir_ + "/a.log", ENXIO, kSpecialFix);  // returns: no reader is waited for
}

TEST_F(RotatingFileSafety, ASocketIsRefused) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  struct sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s/a.log", dir_.c_str());
  ASSERT_EQ(0, bind(s, reinterpret_cast<struct sockaddr*>(&a), sizeof a));
  ExpectRefused(dir_ + "/a.log", ENXIO, kSpecialFix);
  close(s);
}

TEST_F(RotatingFileSafety, ADeviceIsRefused) {
  ASSERT_EQ(0, mknod((dir_ + "/a.log").c_str(), S_IFCHR | 0666, makedev(1, 3)));  // /dev/null
  ExpectRefused(dir_ + "/a.log", ENXIO, kSpecialFix);
}

TEST_F(RotatingFileSafety, ADirectoryIsRefused) {
  ASSERT_EQ(0, mkdir((dir_ + "/a.log").c_str(), 0755));
  ExpectRefused(dir_ + "/a.log", EISDIR, "remove that directory or change the sink's path");
}

TEST_F(RotatingFileSafety, AHardLinkInADirectoryOthersCanWriteIsRefused) {
  ASSERT_EQ(0, link(secret_.c_str(), (dir_ + "/a.log").c_str()));
  ExpectRefused(dir_ + "/a.log", EMLINK,
                "remove the other links to that file, or keep the sink's files in a directory "
                "only root can write");
}

// The operator removes the link: the next retry writes the sink's own file.
TEST_F(RotatingFileSafety, ARefusedPathIsPickedUpOnceFixed) {
  std::string path = dir_ + "/a.log";
  ASSERT_EQ(0, symlink(secret_.c_str(), path.c_str()));
  RotatingFile f("files", path, 0, 5, Reporter());
  EXPECT_TRUE(f.Append("one\n"));
  ASSERT_EQ(0, unlink(path.c_str()));
  EXPECT_TRUE(f.Retry());
  EXPECT_FALSE(f.troubled());
  EXPECT_EQ("", f.problem());
  EXPECT_TRUE(f.Append("two\n"));
  EXPECT_EQ("two\n", Read(path));
  EXPECT_EQ("root only\n", Read(secret_));
  ASSERT_EQ(1u, messages_.size());
  EXPECT_EQ("info: files: writing " + path + " again", messages_[0]);
}

// Rotation renames within the directory it opened and never through a link
// planted at a rotated name: the link itself moves, its target is untouched.
TEST_F(RotatingFileSafety, RotationMovesAPlantedLinkAndNotItsTarget) {
  std::string path = dir_ + "/a.log";
  RotatingFile f("files", path, 8, 2, Reporter());
  EXPECT_TRUE(f.Append("aaa\nbbb\n"));
  ASSERT_EQ(0, symlink(secret_.c_str(), (path + ".1").c_str()));
  EXPECT_TRUE(f.Append("ccc\n"));  // rotates: a.log.1 -> a.log.2, a.log -> a.log.1
  struct stat st;
  ASSERT_EQ(0, lstat((path + ".2").c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ("aaa\nbbb\n", Read(path + ".1"));
  EXPECT_EQ("ccc\n", Read(path));
  EXPECT_EQ("root only\n", Read(secret_));
}

// The open file is swapped for a link (keep = 0): the rotation unlinks the
// link itself and the new file is the sink's own, opened beside it.
TEST_F(RotatingFileSafety, ALinkSwappedInAtThePathIsRotatedAwayNotFollowed) {
  std::string path = dir_ + "/a.log";
  RotatingFile f("files", path, 8, 0, Reporter());
  EXPECT_TRUE(f.Append("aaa\nbbb\n"));
  ASSERT_EQ(0, unlink(path.c_str()));
  ASSERT_EQ(0, symlink(secret_.c_str(), path.c_str()));
  EXPECT_TRUE(f.Append("ccc\nddd\n"));
  struct stat st;
  ASSERT_EQ(0, lstat(path.c_str(), &st));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ("ccc\nddd\n", Read(path));
  EXPECT_EQ("root only\n", Read(secret_));
}

// EROFS (a read-only bind mount, in a mount namespace of a child so the
// test process keeps its mounts): a transient problem, lines kept, picked
// up after the remount read-write.
TEST_F(RotatingFileSafety, AReadOnlyDirectoryKeepsTheLinesUntilWritable) {
  std::string logs = dir_ + "/logs";
  ASSERT_EQ(0, mkdir(logs.c_str(), 0755));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      _exit(10);
    if (mount(logs.c_str(), logs.c_str(), nullptr, MS_BIND, nullptr) != 0) _exit(11);
    if (mount(nullptr, logs.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) _exit(12);
    std::vector<std::string> msgs;
    RotatingFile f("files", logs + "/a.log", 0, 5,
                   [&](bool error, const std::string& t) { msgs.push_back((error ? "error: " : "info: ") + t); });
    if (f.Append("one\n") || !f.pending() || !f.troubled()) _exit(13);
    if (f.problem() != "cannot open " + logs + "/a.log: Read-only file system") _exit(14);
    if (f.Append("two\n") || f.Retry()) _exit(15);
    if (msgs.size() != 1 ||
        msgs[0] != "error: files: cannot open " + logs +
                       "/a.log: Read-only file system (make the directory writable by steward or "
                       "change the sink's path); lines are kept and retried")
      _exit(16);
    if (mount(nullptr, logs.c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr) != 0) _exit(17);
    if (!f.Retry() || f.troubled() || Read(logs + "/a.log") != "one\ntwo\n") _exit(18);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "see the _exit codes in the child";
}

TEST_F(RotatingFileSafety, DropOldestGivesUpWholeLines) {
  // A file where the directory should be: the lines wait.
  std::ofstream(dir_ + "/blocker") << "";
  RotatingFile f("files", dir_ + "/blocker/a.log", 0, 5, Reporter());
  EXPECT_FALSE(f.Append("l1\nl2\nl3\nl4\n"));
  EXPECT_EQ(12u, f.pending_bytes());
  EXPECT_EQ(2u, f.DropOldest(7));  // l1, l2 go: 6 bytes left
  EXPECT_EQ(6u, f.pending_bytes());
  EXPECT_EQ(0u, f.DropOldest(6));
  EXPECT_EQ(2u, f.DropOldest(0));
  EXPECT_FALSE(f.pending());
}

// A line cut by a full disk (EFBIG after a short write) is finished before
// anything else; dropping never leaves it half-written.
TEST_F(RotatingFileSafety, DropOldestKeepsTheRestOfAHalfWrittenLine) {
  struct rlimit old;
  ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &old));
  struct sigaction ign = {}, saved;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ign, &saved);
  RotatingFile f("files", dir_ + "/a.log", 0, 1, Reporter());
  struct rlimit small = {4, old.rlim_max};
  ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &small));
  bool first = f.Append("012345\nab\ncd\n");
  ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &old));
  sigaction(SIGXFSZ, &saved, nullptr);
  EXPECT_FALSE(first);
  EXPECT_EQ("0123", Read(dir_ + "/a.log"));
  EXPECT_EQ(2u, f.DropOldest(0));  // ab, cd; "45\n" stays
  EXPECT_EQ(3u, f.pending_bytes());
  EXPECT_TRUE(f.Retry());
  EXPECT_EQ("012345\n", Read(dir_ + "/a.log"));
}

}  // namespace
}  // namespace steward::log
