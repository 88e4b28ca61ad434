// The forwarder is steward's own binary executed again as `steward-log`
// (log/hub.hpp): what /proc shows of it, a restart after the binary's path
// is gone, and the name typed by hand.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "fault_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::seconds;

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::string Proc(pid_t pid, const char* what) { return ReadFile(fmt::format("/proc/{}/{}", pid, what)); }

void Ticker(LogSet* set) {
  set->Global("");
  set->Add("ticker", "command = [\"/bin/sh\", \"-c\", \"while :; do echo tick; sleep 0.1; done\"]\n");
}

TEST(ForwarderExec, ItIsStewardsOwnBinaryRunAsStewardLog) {
  LogSet set;
  Ticker(&set);
  Process p(set.Args());
  pid_t fwd = 0;
  ASSERT_TRUE(WaitFor([&] { return (fwd = ForwarderOf(p.pid())) > 0; })) << p.Stderr();
  EXPECT_TRUE(SameFile(fmt::format("/proc/{}/exe", fwd), StewardBin()));
  EXPECT_EQ(std::string("steward-log\0", 12), Proc(fwd, "cmdline"));
  EXPECT_EQ("steward-log\n", Proc(fwd, "comm"));
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("ticker | tick") != std::string::npos; })) << p.Stdout();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

TEST(ForwarderExec, RestartsFromTheHeldBinaryAfterItsPathIsRenamedAway) {
  LogSet set;
  Ticker(&set);
  TempDir bin;
  std::string copy = bin / "steward", moved = bin / "steward.replaced";
  ASSERT_EQ(0, system(fmt::format("cp '{}' '{}'", StewardBin(), copy).c_str()));
  RunOptions opts;
  opts.binary = copy;
  Process p(set.Args(), opts);
  pid_t first = 0;
  ASSERT_TRUE(WaitFor([&] { return (first = ForwarderOf(p.pid())) > 0; })) << p.Stderr();
  ASSERT_EQ(0, rename(copy.c_str(), moved.c_str()));
  kill(first, SIGKILL);
  pid_t next = 0;
  ASSERT_TRUE(WaitFor([&] {
    next = ForwarderOf(p.pid());
    return next > 0 && next != first;
  })) << p.Stderr();
  EXPECT_TRUE(SameFile(fmt::format("/proc/{}/exe", next), moved));
  // The new one forwards: lines written after its start reach the console.
  size_t ticks = p.Stdout().size();
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("ticker | tick", ticks) != std::string::npos; }, seconds(10)))
      << p.Stderr();
  EXPECT_EQ(next, ForwarderOf(p.pid()));
  EXPECT_NE(std::string::npos, p.Stderr().find(") killed by SIGKILL; restarting it\n")) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

TEST(ForwarderExec, TypedByHandItSaysWhatItIsAndExits2) {
  TempDir dir;
  std::string link = dir / "steward-log";
  ASSERT_EQ(0, symlink(StewardBin(), link.c_str()));
  int status = system(fmt::format("exec 3>&-; '{}' >'{}' 2>'{}'", link, dir / "out", dir / "err").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(2, WEXITSTATUS(status));
  EXPECT_EQ("", ReadFile(dir / "out"));
  EXPECT_EQ("steward: error: steward-log is steward's log forwarder: steward starts it itself, with "
            "its control socket on descriptor 3; it is not a command. Run steward (see steward "
            "--help)\n",
            ReadFile(dir / "err"));
}

}  // namespace
}  // namespace steward::testing
