// The attacker's view of what steward reads on a service's behalf (SPEC
// "Trust", issue 18): a `user = "nobody"` service that owns the directory of
// its env_file swaps the file, between two of its starts, for a link to a
// root-only secret, a FIFO or a link to /dev/zero. PID 1 refuses each with a
// message naming the file and the fix, hands nothing to the service, echoes
// nothing into its log, never blocks and never grows. And a services
// directory others can write makes a reload refused: what was dropped there
// never runs.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;

constexpr const char* kSecret = "hunter2-root-only";

// A nobody-owned directory app/ holding app.env (GREETING=hello), a
// root-only secrets.env beside it, and the attacker: a service running as
// nobody that prints its environment, does `swap` to its env file, and
// exits 1 to be started again.
struct Attack {
  explicit Attack(Set* set, const std::string& swap) : set(*set) {
    WriteFile(set->path("secrets.env"), std::string("TOKEN=") + kSecret + "\n", 0600);
    EXPECT_EQ(0, mkdir(set->path("app").c_str(), 0755));
    EXPECT_EQ(0, chown(set->path("app").c_str(), kNobody, kNogroup));
    env = set->path("app/app.env");
    WriteFile(env, "GREETING=hello\n", 0644);
    EXPECT_EQ(0, chown(env.c_str(), kNobody, kNogroup));
    set->Add("attacker", "user = \"nobody\"\nenv_file = \"" + env + "\"\n"
                         "command = \"\"\"\n"
                         "env | grep -e GREETING -e TOKEN\n"
                         "if [ -f @DIR/app/app.env ] && [ ! -L @DIR/app/app.env ]; then\n"
                         "  rm @DIR/app/app.env\n  " + swap + "\nfi\n"
                         "exit 1\n\"\"\"\n");
    set->Add("bystander", Recorder("bystander"));
  }
  Set& set;
  std::string env;
};

long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(TrustEnvFile, ALinkToARootOnlySecretIsNotFollowedNorItsContentShown) {
  Set set;
  Attack attack(&set, "ln -s @DIR/secrets.env @DIR/app/app.env");
  Process p(set.Args());
  std::string refused = "attacker: env_file " + attack.env + ": is a symbolic link in " +
                        set.path("app") + ", which uid 65534 owns; steward does not follow it; "
                        "name the file itself in env_file, or keep the link where only root can "
                        "write";
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), refused).empty(); }))
      << p.Stdout() << p.Stderr();
  EXPECT_FALSE(Grep(p.Stdout(), "GREETING=hello").empty()) << p.Stdout();  // its first start
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
  EXPECT_EQ(std::string::npos, p.Stdout().find(kSecret)) << p.Stdout();
  EXPECT_EQ(std::string::npos, p.Stderr().find(kSecret)) << p.Stderr();
  EXPECT_EQ(std::string("TOKEN=") + kSecret + "\n", ReadFile(set.path("secrets.env")));
}

TEST(TrustEnvFile, AFifoNeverBlocksPid1) {
  Set set;
  Attack attack(&set, "mkfifo @DIR/app/app.env");
  Process p(set.Args());
  std::string refused = "attacker: env_file " + attack.env;
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& l : Grep(p.Stderr(), refused)) {
      if (l.find(": is a FIFO, not a regular file; env_file must name a regular file") !=
          std::string::npos)
        return true;
    }
    return false;
  })) << p.Stderr();
  CtlResult status = Ctl(set, {"status"});
  EXPECT_EQ(0, status.code) << status.err;
  EXPECT_FALSE(Row(status.out, "bystander").empty()) << status.out;
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(10)));
  EXPECT_TRUE(set.Has("stop bystander"));
}

TEST(TrustEnvFile, ALinkToDevZeroIsRefusedAndPid1DoesNotGrow) {
  Set set;
  Attack attack(&set, "ln -s /dev/zero @DIR/app/app.env");
  Process p(set.Args());
  std::string refused = "attacker: env_file " + attack.env + ": is a symbolic link in " +
                        set.path("app") + ", which uid 65534 owns; steward does not follow it; "
                        "name the file itself in env_file, or keep the link where only root can "
                        "write";
  ASSERT_TRUE(WaitFor([&] { return Grep(p.Stderr(), refused).size() >= 2; })) << p.Stderr();
  long rss = RssKiB(p.pid());
  EXPECT_GT(rss, 0);
  // An unbounded read of /dev/zero grows without end; steward itself needs
  // a few MiB, or ~200 MiB of shadow memory under AddressSanitizer.
#ifdef __SANITIZE_ADDRESS__
  constexpr long kBoundKiB = 512 * 1024;
#else
  constexpr long kBoundKiB = 32 * 1024;
#endif
  EXPECT_LT(rss, kBoundKiB) << "PID 1 grew to " << rss << " KiB";
  EXPECT_EQ(0, Ctl(set, {"status"}).code);
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait(seconds(10)));
}

TEST(TrustConfig, AServicesDirectoryOthersCanWriteRefusesTheReloadAndEvilNeverRuns) {
  Set set;
  set.Add("app", Recorder("app"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); })) << p.Stderr();
  std::string app = Cell(Ctl(set, {"status", "app"}).out, "app", 2);

  ASSERT_EQ(0, chmod(set.services().c_str(), 0777));
  std::string evil = set.services() + "/evil.toml";
  WriteFile(evil, "command = \"touch " + set.path("evil-ran") + "\"\n");
  ASSERT_EQ(0, chown(evil.c_str(), kNobody, kNogroup));
  p.Signal(SIGHUP);
  std::string refused = "refusing the services directory " + set.services() +
                        ": writable by others (mode 0777): anyone in the container could add a "
                        "service that steward runs (chmod o-w " + set.services() + ")";
  ASSERT_TRUE(WaitFor([&] {
    return !Grep(p.Stderr(), "reload refused: 1 configuration error; the running services "
                             "carry on untouched").empty();
  })) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), refused).size()) << p.Stderr();
  EXPECT_EQ(app, Cell(Ctl(set, {"status", "app"}).out, "app", 2));
  EXPECT_TRUE(Row(Ctl(set, {"status"}).out, "evil").empty());

  // --check says the same, and exits 2.
  Process check({"--check", "--services", set.services(), "--config", ""});
  EXPECT_EQ(2, check.Wait());
  EXPECT_EQ(1u, Grep(check.Stderr(), refused).size()) << check.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
  EXPECT_FALSE(Exists(set.path("evil-ran")));
}

TEST(TrustConfig, ABareUidRunsWithHomeSlashNotSteward) {
  Set set;
  WriteFile(set.path("who"), "", 0666);
  set.Add("who", "type = \"oneshot\"\nuser = \"12345\"\n"
                 "command = \"echo $$HOME $$USER $$LOGNAME $$(id -u) > @DIR/who\"\n");
  RunOptions o;
  o.env["HOME"] = "/root";
  Process p({"--services", set.services(), "--config", "", "--runtime-dir", set.run(), "--",
             "/bin/true"}, o);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_EQ("/ 12345 12345 12345\n", ReadFile(set.path("who")));
}

}  // namespace
}  // namespace steward::testing
