// Who may write the configuration (SPEC "Trust"): the services directory,
// the global file, a service file and its env_files are refused, with the
// fix, when anyone but root (or steward's own user) can write them; the
// env_files' content is part of the definition the reload diff compares.
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_load_fixture.hpp"

namespace steward::testing_config {
namespace {

constexpr uid_t kNobody = 65534;

TEST_F(ConfigLoad, AServicesDirectoryOthersCanWriteIsRefused) {
  Service("web", "command = 'nginx'");
  ASSERT_EQ(0, chmod(req_.services_dir.c_str(), 0777));
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{"refusing the services directory " + req_.services_dir +
                   ": writable by others (mode 0777): anyone in the container could add a "
                   "service that steward runs (chmod o-w " + req_.services_dir + ")"},
            errors_);
  EXPECT_TRUE(config_.services.empty());
}

TEST_F(ConfigLoad, AServicesDirectoryOfMode0777OnAReadOnlyMountIsAccepted) {
  // The kubelet mounts a ConfigMap as a read-only directory of mode 0777:
  // no one can write it. A child with a mount namespace of its own makes one.
  Service("web", "command = 'nginx'");
  ASSERT_EQ(0, chmod(req_.services_dir.c_str(), 0777));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const char* d = req_.services_dir.c_str();
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        mount(d, d, nullptr, MS_BIND, nullptr) ||
        mount(nullptr, d, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr))
      _exit(3);
    _exit(Load() && errors_.empty() && config_.Find("web") ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "3: no read-only mount; 1: refused";
}

TEST_F(ConfigLoad, AServicesDirectoryOwnedByAnotherUserIsRefused) {
  Service("web", "command = 'nginx'");
  ASSERT_EQ(0, chown(req_.services_dir.c_str(), kNobody, kNobody));
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{"refusing the services directory " + req_.services_dir +
                   ": owned by uid 65534: another user could add a service that steward runs "
                   "(chown root " + req_.services_dir + ")"},
            errors_);
}

TEST_F(ConfigLoad, AServiceFileOwnedByAnotherUserIsRefused) {
  Service("evil", "command = 'true'");
  ASSERT_EQ(0, chown(P("evil").c_str(), kNobody, kNobody));
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("evil") + ":1:1: refusing a file owned by uid 65534: another user could "
                   "change what steward runs (chown root " + P("evil") + ")"},
            errors_);
}

TEST_F(ConfigLoad, AGlobalFileOwnedByAnotherUserIsRefused) {
  Global("grace = '1s'");
  ASSERT_EQ(0, chown(G().c_str(), kNobody, kNobody));
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{G() + ":1:1: refusing a file owned by uid 65534: another user could change "
                   "what steward runs (chown root " + G() + ")"},
            errors_);
}

TEST_F(ConfigLoad, AnEnvFileOthersCanWriteIsAConfigurationError) {
  WriteFile(dir_ + "/app.env", "A=1\n", 0666);
  Service("web", "command = 'nginx'\nenv_file = '" + dir_ + "/app.env'");
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("web") + ":2:12: env_file " + dir_ + "/app.env: writable by others (mode "
                   "0666); someone else could set the service's environment (chmod o-w " +
                   dir_ + "/app.env)"},
            errors_);
}

TEST_F(ConfigLoad, AnEnvFileWithABadLineIsAConfigurationErrorWithoutItsText) {
  WriteFile(dir_ + "/app.env", "A=1\nhunter2\n");
  Service("web", "command = 'nginx'\nenv_file = ['" + dir_ + "/app.env']");
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("web") + ":2:12: env_file " + dir_ + "/app.env:2: expected KEY=VALUE"},
            errors_);
}

TEST_F(ConfigLoad, AMissingEnvFileIsNoErrorAndADisabledServicesIsNotRead) {
  WriteFile(dir_ + "/bad.env", "A=1\n", 0666);
  Service("web", "command = 'nginx'\nenv_file = '" + dir_ + "/later.env'");
  Service("off", "command = 'x'\nenabled = false\nenv_file = '" + dir_ + "/bad.env'");
  EXPECT_EQ("-;", Loaded("web").env_digest);
}

TEST_F(ConfigLoad, TheEnvFilesContentIsPartOfTheDefinition) {
  WriteFile(dir_ + "/app.env", "A=1\n");
  Service("web", "command = 'nginx'\nenv_file = '" + dir_ + "/app.env'");
  std::string first = Loaded("web").env_digest;
  EXPECT_EQ(17u, first.size());
  EXPECT_EQ(first, Loaded("web").env_digest);  // read again: the same
  WriteFile(dir_ + "/app.env", "A=2\n");
  EXPECT_NE(first, Loaded("web").env_digest);
}

}  // namespace
}  // namespace steward::testing_config
