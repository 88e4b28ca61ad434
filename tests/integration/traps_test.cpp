// The everyday traps of issue 24 as a user meets them: a start that can
// never succeed, a service file named against the rule, a signal with no
// main program to take it, and the main program's own non-zero exit.
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "supervisor_support.hpp"

namespace steward::testing {
namespace {

using supervised::Recorder;
using supervised::Set;

TEST(StartFailure, ProgramNotFoundFailsAtOnceWithoutBackoff) {
  Set set;
  set.Add("web", "command = [\"/no/such/program\"]\n");
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] {
    return !Grep(p.Stderr(), "web: failed for good").empty() && set.Has("start db");
  })) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: error: web: /no/such/program: not found (check the "
                                 "command and PATH); not restarted: a retry cannot fix this")
                    .size())
      << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: error: web: failed for good: exited with status 127")
                    .size());
  EXPECT_TRUE(Grep(p.Stderr(), "restarting").empty()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(StartFailure, ProgramNotExecutableFailsAtOnce) {
  Set set;
  WriteFile(set.path("tool"), "#!/bin/sh\necho hi\n", 0644);
  set.Add("tool", "command = [\"" + set.path("tool") + "\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "tool: failed for good").empty(); }))
      << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "tool: " + set.path("tool") + ": cannot execute: Permission "
                                 "denied; not restarted: a retry cannot fix this")
                    .size())
      << p.Stderr();
  EXPECT_TRUE(Grep(p.Stderr(), "restarting").empty()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(ServiceNames, FilesBreakingTheRuleAreNamedByCheckAndStart) {
  Set set;
  set.Add("web", "command = 'sleep 100'\n");
  set.Add("Web", "command = 'sleep 100'\n");
  set.Add("caf\xc3\xa9", "command = 'sleep 100'\n");
  std::string rule = ": skipped: a service name must match [a-z0-9][a-z0-9_.-]* (lower-case ASCII "
                     "letters, digits, '_', '.', '-')";
  Process check(set.Args({"--check"}));
  EXPECT_EQ(0, check.Wait()) << check.Stderr();
  EXPECT_EQ(1u, Grep(check.Stderr(), "steward: warning: " + set.services() + "/Web.toml" + rule +
                                         " (rename it to web.toml)")
                    .size())
      << check.Stderr();
  EXPECT_EQ(1u, Grep(check.Stderr(), "steward: warning: " + set.services() + "/caf\xc3\xa9.toml" +
                                         rule)
                    .size())
      << check.Stderr();
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "web: started").empty(); })) << p.Stderr();
  EXPECT_EQ(2u, Grep(p.Stderr(), rule).size()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(Signals, Usr1WithoutMainProgramIsSaid) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); })) << p.Stderr();
  p.Signal(SIGUSR1);
  EXPECT_TRUE(WaitFor([&] {
    return !Grep(p.Stderr(), "steward: info: received SIGUSR1: no main program to forward it "
                             "to; ignored (to signal a service: steward ctl signal SIGUSR1 NAME)")
                .empty();
  })) << p.Stderr();
  EXPECT_FALSE(set.Has("stop db"));
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(MainProgram, NonZeroExitIsTheContainersExitNotAFailure) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args({}, {"/bin/sh", "-c", "exit 3"}));
  EXPECT_EQ(3, p.Wait()) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: info: main: exited with status 3: the main program "
                                 "has ended; the container exits with it")
                    .size())
      << p.Stderr();
  EXPECT_TRUE(Grep(p.Stderr(), "failed for good").empty()) << p.Stderr();
}

// A POSIX zone string needs no tzdata: TZ=XYZ-2 is two hours east of UTC.
TEST(LogZone, Rfc3164SinkUnderANonUtcTzIsWarnedOnceAtCheckAndStart) {
  Set set;
  set.Add("db", Recorder("db"));
  WriteFile(set.path("steward.toml"), "[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\n"
                                      "url = \"udp://127.0.0.1:9\"\nformat = \"rfc3164\"\n");
  std::vector<std::string> args = set.Args();
  args[3] = set.path("steward.toml");  // --config
  RunOptions o;
  o.env["TZ"] = "XYZ-2";
  std::string warning = "steward: warning: log sink 'central': format = \"rfc3164\" stamps local "
                        "time without a zone, and the local zone (TZ=XYZ-2) is UTC+02:00: a "
                        "collector in another zone files these lines hours off; use format = "
                        "\"rfc5424\" (UTC, with the zone), or run steward with TZ=UTC";
  std::vector<std::string> check_args = args;
  check_args.insert(check_args.begin(), "--check");
  Process check(check_args, o);
  EXPECT_EQ(0, check.Wait());
  EXPECT_EQ(1u, Grep(check.Stderr(), warning).size()) << check.Stderr();
  Process p(args, o);
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); })) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), warning).size()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

}  // namespace
}  // namespace steward::testing
