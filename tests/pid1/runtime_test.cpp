#include "steward/pid1/runtime.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace steward {
namespace {

using testing::TempDir;

bool IsDir(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(RuntimeDirTest, CandidatesAreRunThenTmpOrTheOptionAlone) {
  Options o;
  EXPECT_EQ((std::vector<std::string>{"/run/steward", "/tmp/steward-1000"}),
            RuntimeDirCandidates(o, 1000));
  o.runtime_dir = "/srv/rt";
  EXPECT_EQ(std::vector<std::string>{"/srv/rt"}, RuntimeDirCandidates(o, 1000));
}

TEST(RuntimeDirTest, CreatesMissingParents) {
  // A FROM scratch image has no /run: every level is made.
  TempDir t;
  std::string dir = t.path() + "/run/deeper/steward";
  std::string err;
  ASSERT_TRUE(MakeRuntimeDir(dir, geteuid(), &err)) << err;
  EXPECT_TRUE(IsDir(t.path() + "/run/deeper"));
  EXPECT_TRUE(IsDir(dir));
  struct stat st;
  ASSERT_EQ(0, stat(dir.c_str(), &st));
  EXPECT_EQ(0755u, st.st_mode & 07777);
  // Already there: fine, twice.
  EXPECT_TRUE(MakeRuntimeDir(dir + "/", geteuid(), &err)) << err;
}

TEST(RuntimeDirTest, RefusesASymlinkAFileSomeoneElsesAndAnOpenDirectory) {
  TempDir t;
  ASSERT_EQ(0, mkdir((t.path() + "/real").c_str(), 0755));
  ASSERT_EQ(0, symlink((t.path() + "/real").c_str(), (t.path() + "/link").c_str()));
  std::string err;
  EXPECT_FALSE(MakeRuntimeDir(t.path() + "/link", geteuid(), &err));
  EXPECT_EQ(t.path() + "/link is not a directory", err);
  EXPECT_FALSE(MakeRuntimeDir(t.path() + "/real", geteuid() + 1, &err));
  EXPECT_EQ(fmt::format("{}/real belongs to uid {}, not to {} (remove it: anyone may have made it)",
                        t.path(), geteuid(), geteuid() + 1),
            err);
  // Ours, but anyone may put a socket of theirs in it.
  ASSERT_EQ(0, chmod((t.path() + "/real").c_str(), 01777));
  EXPECT_FALSE(MakeRuntimeDir(t.path() + "/real", geteuid(), &err));
  EXPECT_EQ(t.path() + "/real is writable by others (mode 1777; chmod go-w it)", err);
  EXPECT_FALSE(MakeRuntimeDir("relative/dir", geteuid(), &err));
  EXPECT_EQ("runtime directory 'relative/dir' is not an absolute path", err);
}

TEST(RuntimeDirTest, ParentThatCannotBeMadeNamesThePath) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  TempDir t;
  ASSERT_EQ(0, chmod(t.path().c_str(), 0555));
  std::string err;
  EXPECT_FALSE(MakeRuntimeDir(t.path() + "/run/steward", geteuid(), &err));
  EXPECT_EQ("cannot create " + t.path() + "/run: Permission denied", err);
}

TEST(RuntimeDirTest, ChoosesTheFirstThatWorksElseNone) {
  std::vector<std::string> tried;
  auto make = [&](const std::string& d, std::string* err) {
    tried.push_back(d);
    if (d == "/tmp/steward-0") return true;
    *err = "cannot create " + d.substr(0, d.rfind('/')) + ": Read-only file system";
    return false;
  };
  EXPECT_EQ("/tmp/steward-0", ChooseRuntimeDir({"/run/steward", "/tmp/steward-0"}, false, make));
  EXPECT_EQ((std::vector<std::string>{"/run/steward", "/tmp/steward-0"}), tried);
  tried.clear();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ("", ChooseRuntimeDir({"/run/steward", "/tmp/x/steward-0"}, false, make));
  EXPECT_EQ(
      "steward: warning: no usable runtime directory (cannot create /run: Read-only file system; "
      "cannot create /tmp/x: Read-only file system); running without control socket and with "
      "in-memory spools (on a read-only root, mount a tmpfs on /run or set --runtime-dir)\n",
      ::testing::internal::GetCapturedStderr());
}

}  // namespace
}  // namespace steward

namespace steward {
namespace {

ServicesDirChoice ChooseWith(PathKind etc_services, const Options& o = {}) {
  return ChooseServicesDir(o, [etc_services](const std::string& path) {
    EXPECT_EQ("/etc/services", path);
    return etc_services;
  });
}

TEST(ServicesDirTest, EtcServicesAFileMeansServicesDAndSaysWhy) {
  ServicesDirChoice c = ChooseWith(PathKind::kOther);
  EXPECT_EQ("/etc/services.d", c.dir);
  EXPECT_EQ("/etc/services is a file: the network services database (netbase, Alpine)", c.why);
}

TEST(ServicesDirTest, EtcServicesMissingMeansServicesD) {
  ServicesDirChoice c = ChooseWith(PathKind::kMissing);
  EXPECT_EQ("/etc/services.d", c.dir);
  EXPECT_EQ("/etc/services does not exist", c.why);
}

TEST(ServicesDirTest, EtcServicesADirectoryIsRead) {
  ServicesDirChoice c = ChooseWith(PathKind::kDirectory);
  EXPECT_EQ("/etc/services", c.dir);
  EXPECT_EQ("/etc/services is a directory", c.why);
}

TEST(ServicesDirTest, TheOptionWinsWithoutLookingOrAReason) {
  Options o;
  o.services_dir = "/srv/services";
  ServicesDirChoice c = ChooseServicesDir(o, [](const std::string&) {
    ADD_FAILURE() << "looked at the filesystem";
    return PathKind::kMissing;
  });
  EXPECT_EQ("/srv/services", c.dir);
  EXPECT_EQ("", c.why);
}

}  // namespace
}  // namespace steward
