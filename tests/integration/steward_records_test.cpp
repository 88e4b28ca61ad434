// steward's own lines through the log pipeline, as PID 1 (issue 19): its
// events reach the log sinks as records of service "steward", in their
// place among the services' lines; `ctl logs` answers for a syslog tag and
// for steward itself; without PROGRAM and services the message names the
// directory it looked for.
#include <signal.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "control_support.hpp"
#include "harness.hpp"
#include "log_set.hpp"

namespace steward::testing {
namespace {

// Index of the first line containing needle; -1 when none.
int IndexOf(const std::vector<std::string>& lines, const std::string& needle) {
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find(needle) != std::string::npos) return int(i);
  return -1;
}

TEST(StewardRecords, ARestartAndALostCollectorReachAFileSinkAsServiceSteward) {
  LogSet set;
  set.Global(
      "[[log.sink]]\nname = \"all\"\ntype = \"file\"\npath = \"@DIR/all.log\"\n"
      "[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\nurl = \"tcp://127.0.0.1:1\"\n");
  set.Add("job", "restart = \"on-failure\"\ncommand = \"\"\"\n"
                 "if [ -e @DIR/ran ]; then echo second run; exec sleep 100; fi\n"
                 "touch @DIR/ran; echo one; echo two; echo last words; exit 3\n\"\"\"\n");
  RunOptions o;
  o.new_net_namespace = true;  // port 1 of a loopback of its own: nobody listens
  Process p(set.Args(), o);
  std::vector<std::string> lines;
  ASSERT_TRUE(WaitFor([&] {
    lines = Lines(ReadFile(set.path("all.log")));
    return IndexOf(lines, " job stdout second run") >= 0 &&
           IndexOf(lines, " steward stderr steward: warning: central: cannot connect to "
                          "tcp://127.0.0.1:1") >= 0;
  })) << ReadFile(set.path("all.log")) << p.Stderr();
  int restart = IndexOf(lines, " steward stderr steward: warning: job: exited with status 3; restarting");
  ASSERT_GE(restart, 0) << ReadFile(set.path("all.log"));
  // In order: the service's last line, then steward's word on its exit.
  int last = IndexOf(lines, " job stdout last words");
  ASSERT_GE(last, 0);
  EXPECT_LT(last, restart) << ReadFile(set.path("all.log"));
  // (No order between `started` and the first lines: the process may write
  // before PID 1 has said it started it.)
  EXPECT_GE(IndexOf(lines, " steward stderr steward: info: job: started (pid "), 0);
  // The console keeps steward's lines on stderr, as before.
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: job: exited with status 3; restarting").size())
      << p.Stderr();
  EXPECT_EQ(0u, Grep(p.Stdout(), "steward").size()) << p.Stdout();
  ExpectNoSanitizerReport(p);
}

TEST(StewardRecords, CtlLogsAnswersForASyslogTagAndForSteward) {
  LogSet set;
  set.Global("console = \"prefixed\"\n");
  set.Add("cron", "command = [\"/bin/sh\", \"-c\", \"logger -u @DIR/dev-log -t cronjob job ran; "
                  "exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return p.Stdout().find("job ran") != std::string::npos; })) << p.Stderr();
  CtlResult r = Ctl({"--runtime-dir", set.path("run"), "logs", "cronjob"});
  EXPECT_EQ(0, r.code) << r.err;
  ASSERT_EQ(1u, Lines(r.out).size()) << r.out;
  EXPECT_NE(std::string::npos, r.out.find(" job ran")) << r.out;
  r = Ctl({"--runtime-dir", set.path("run"), "logs", "nosuch"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ("unknown service: nosuch (see steward ctl status)\n", r.err);
  r = Ctl({"--runtime-dir", set.path("run"), "logs", "steward"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ(1u, Grep(r.out, " stderr steward: info: cron: started (pid ").size()) << r.out;
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
  ExpectNoSanitizerReport(p);
}

// STEWARD_PROFILE=prdo used to change nothing, silently.
TEST(StewardRecords, AMisspeltProfileIsNamedAndWarnedAboutAtStart) {
  LogSet set;
  set.Global("");
  set.Add("app", "command = [\"sleep\", \"100\"]\n[profile.prod]\nenvironment = { A = \"1\" }\n"
                 "[profile.dev]\nenvironment = { A = \"2\" }\n");
  RunOptions o;
  o.env["STEWARD_PROFILE"] = "prdo";
  Process p(set.Args(), o);
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), "app: started").empty(); })) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: STEWARD_PROFILE=prdo: no file has a "
                                 "[profile.prdo] table (profiles defined: dev, prod)").size())
      << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: info: profile: prdo (STEWARD_PROFILE)").size()) << p.Stderr();
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait());
}

TEST(StewardRecords, NoProgramAndNoServicesDirectoryNamesTheDirectory) {
  TempDir tmp;
  Process p({"--services", tmp / "nope", "--config", ""});
  EXPECT_EQ(2, p.Wait());
  EXPECT_EQ("steward: error: nothing to run: no PROGRAM given and no services directory (" +
                tmp / "nope" + " does not exist); see steward --help\n",
            p.Stderr());
}

}  // namespace
}  // namespace steward::testing
