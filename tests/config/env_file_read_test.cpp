// ReadEnvFile: an env_file as PID 1 reads it (SPEC "Trust", §3), against
// what a service that owns the file's directory can put there.
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include "steward/config/env_file.hpp"

namespace steward {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

constexpr uid_t kNobody = 65534;
constexpr uid_t kSteward = uid_t(-1);  // a service running as steward's own user


// A scratch directory with a root-only secret and a directory svc/ that
// uid 65534 owns: the service's, where it can swap anything.
class EnvFileRead : public ::testing::Test {
 protected:
  void SetUp() override {
    Write(dir_ + "/secret.env", "TOKEN=hunter2\n", 0600);
    ASSERT_EQ(0, mkdir(Svc("").c_str(), 0755));
    ASSERT_EQ(0, chown(Svc("").c_str(), kNobody, kNobody));
  }

  static void Write(const std::string& path, const std::string& text, mode_t mode = 0644) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(ssize_t(text.size()), write(fd, text.data(), text.size()));
    fchmod(fd, mode);
    close(fd);
  }
  std::string Svc(const std::string& name) const { return dir_ + "/svc/" + name; }
  std::string Link() const {
    return Svc("app.env") + ": is a symbolic link in " + dir_ + "/svc, which uid 65534 owns; "
                            "steward does not follow it; name the file itself in env_file, or "
                            "keep the link where only root can write";
  }

  testing::TempDir tmp_{"envread"};
  std::string dir_ = tmp_.path();
};

TEST_F(EnvFileRead, ReadsItsVariablesAndADigestOfTheContent) {
  Write(dir_ + "/app.env", "export DB_URL=\"postgres://db/app\"\nDEBUG=1\n");
  steward::EnvFileRead r = ReadEnvFile(dir_ + "/app.env", kSteward);
  EXPECT_EQ("", r.error);
  EXPECT_FALSE(r.missing);
  EXPECT_EQ((Vars{{"DB_URL", "postgres://db/app"}, {"DEBUG", "1"}}), r.vars);
  Write(dir_ + "/app.env", "export DB_URL=\"postgres://db/app\"\nDEBUG=2\n");
  steward::EnvFileRead changed = ReadEnvFile(dir_ + "/app.env", kSteward);
  EXPECT_NE(r.digest, changed.digest);
  EXPECT_NE(EnvDigestPart(r), EnvDigestPart(changed));
  EXPECT_EQ(EnvDigestPart(r).size(), 17u);
}

TEST_F(EnvFileRead, AMissingFileIsMissing) {
  steward::EnvFileRead r = ReadEnvFile(dir_ + "/missing.env", kSteward);
  EXPECT_TRUE(r.missing);
  EXPECT_EQ(dir_ + "/missing.env: No such file or directory", r.error);
  EXPECT_EQ("-;", EnvDigestPart(r));
}

TEST_F(EnvFileRead, ALinkTheServiceCouldHavePutThereIsNotFollowed) {
  ASSERT_EQ(0, symlink((dir_ + "/secret.env").c_str(), Svc("app.env").c_str()));
  steward::EnvFileRead r = ReadEnvFile(Svc("app.env"), kNobody);
  EXPECT_EQ(Link(), r.error);
  EXPECT_TRUE(r.vars.empty());
  EXPECT_EQ("!;", EnvDigestPart(r));
}

TEST_F(EnvFileRead, ALinkToDevZeroIsNotFollowed) {
  ASSERT_EQ(0, symlink("/dev/zero", Svc("app.env").c_str()));
  EXPECT_EQ(Link(), ReadEnvFile(Svc("app.env"), kNobody).error);
}

TEST_F(EnvFileRead, ADeviceOrAFifoIsRefusedWithoutBlocking) {
  EXPECT_EQ("/dev/zero: is a character device, not a regular file; env_file must name a "
            "regular file",
            ReadEnvFile("/dev/zero", kSteward).error);
  ASSERT_EQ(0, mkfifo(Svc("app.env").c_str(), 0644));  // nobody writes to it: open would block
  EXPECT_EQ(Svc("app.env") + ": is a FIFO, not a regular file; env_file must name a regular file",
            ReadEnvFile(Svc("app.env"), kNobody).error);
}

TEST_F(EnvFileRead, AHardLinkToARootOnlyFileIsRefused) {
  ASSERT_EQ(0, link((dir_ + "/secret.env").c_str(), Svc("app.env").c_str()));
  steward::EnvFileRead r = ReadEnvFile(Svc("app.env"), kNobody);
  EXPECT_EQ(Svc("app.env") + ": has 2 hard links, in " + dir_ + "/svc, which uid 65534 owns; "
                             "steward does not use it; env_file must not be a hard link to "
                             "another file",
            r.error);
  EXPECT_TRUE(r.vars.empty());
}

TEST_F(EnvFileRead, AFileOthersCanWriteIsRefusedWithTheFix) {
  Write(dir_ + "/app.env", "A=1\n", 0666);
  EXPECT_EQ(dir_ + "/app.env: writable by others (mode 0666); someone else could set the "
                   "service's environment (chmod o-w " + dir_ + "/app.env)",
            ReadEnvFile(dir_ + "/app.env", kSteward).error);
}

TEST_F(EnvFileRead, AFileOwnedByAnotherUserIsRefusedButTheServicesOwnIsRead) {
  Write(Svc("app.env"), "A=1\n");
  ASSERT_EQ(0, chown(Svc("app.env").c_str(), kNobody, kNobody));
  EXPECT_EQ(Svc("app.env") + ": owned by uid 65534; someone else could set the service's "
                             "environment (chown root " + Svc("app.env") + ")",
            ReadEnvFile(Svc("app.env"), 1000).error);
  steward::EnvFileRead own = ReadEnvFile(Svc("app.env"), kNobody);
  EXPECT_EQ("", own.error);
  EXPECT_EQ((Vars{{"A", "1"}}), own.vars);
}

TEST_F(EnvFileRead, MoreThanOneMebibyteIsRefused) {
  Write(dir_ + "/big.env", std::string(kEnvFileMax, '#'));
  EXPECT_EQ("", ReadEnvFile(dir_ + "/big.env", kSteward).error);
  Write(dir_ + "/big.env", std::string(kEnvFileMax + 1, '#'));
  EXPECT_EQ(dir_ + "/big.env: is 1048577 bytes, more than the 1048576 steward reads; an "
                   "env_file is at most 1 MiB",
            ReadEnvFile(dir_ + "/big.env", kSteward).error);
}

TEST_F(EnvFileRead, ABadLineIsReportedByPositionWithoutItsText) {
  Write(dir_ + "/app.env", "A=1\nhunter2\n");
  steward::EnvFileRead r = ReadEnvFile(dir_ + "/app.env", kSteward);
  EXPECT_EQ(dir_ + "/app.env:2: expected KEY=VALUE", r.error);
  EXPECT_TRUE(r.vars.empty());
}

TEST(ReadFile, NeverBlocksOnAFifoAndStopsAtItsBound) {
  testing::TempDir tmp("readfile");
  std::string dir = tmp.path(), fifo = dir + "/fifo", big = dir + "/big";
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0644));
  std::string text, err;
  EXPECT_FALSE(ReadFile(fifo, &text, &err));
  EXPECT_EQ(fifo + ": not a regular file", err);
  FILE* f = fopen(big.c_str(), "w");
  ASSERT_NE(nullptr, f);
  fputs("0123456789", f);
  fclose(f);
  EXPECT_FALSE(ReadFile(big, &text, &err, nullptr, 9));
  EXPECT_EQ(big + ": larger than 9 bytes", err);
  EXPECT_TRUE(ReadFile(big, &text, &err, nullptr, 10));
  EXPECT_EQ("0123456789", text);
  unlink(fifo.c_str());
  unlink(big.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace steward
