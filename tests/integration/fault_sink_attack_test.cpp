// Issue 18.1/18.2 as the attacker plays it: a `user = "nobody"` service
// owns its log directory and swaps its log file for a symbolic link to a
// root-only file, then a FIFO, then a dangling link, while another service
// writes numbered lines. Root steward writes none of them, blocks on none,
// and holds back nothing else (TESTING.md "Playing the attacker").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "fault_support.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using std::chrono::seconds;

// Lines "PREFIX-N" every few ms until FILE exists, then "PREFIX-total N".
std::string WriteUntil(const std::string& prefix, const std::string& file) {
  return fmt::format("i=0; while [ ! -e {1} ]; do i=$$((i+1)); echo {0}-$$i; sleep 0.005; done; "
                     "echo {0}-total $$i",
                     prefix, file);
}

// The problem `ctl status` shows for the sink "files", "" when none.
std::string Problem(const LogSet& set) {
  CtlResult st = RunCtl(set.path("run"), {"status"});
  std::vector<std::string> row = Grep(st.out, "files ");
  return row.empty() ? "" : row[0];
}

TEST(FaultSinkAttack, ALinkAFifoAndADanglingLinkInAServicesLogDirectoryStopNothing) {
  LogSet set;
  ASSERT_EQ(0, chmod(set.path("").c_str(), 0755));  // root's; only logs/evil is the service's
  // The root-only file: in a directory only root can enter.
  std::string secret_dir = set.path("secret"), secret = set.path("secret/shadow");
  ASSERT_EQ(0, mkdir(secret_dir.c_str(), 0700));
  WriteFile(secret, "root only\n", 0600);
  // The attacker's own log directory.
  std::string evil_dir = set.path("logs/evil"), evil_log = evil_dir + "/app.log";
  ASSERT_EQ(0, mkdir(set.path("logs").c_str(), 0755));
  ASSERT_EQ(0, mkdir(evil_dir.c_str(), 0755));
  ASSERT_EQ(0, chown(evil_dir.c_str(), 65534, 65534));
  set.Global("console = \"prefixed\"\n"
             "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"@DIR/logs/{service}/app.log\"\n");
  // Each trap is set before the attacker's first line reaches it, and kept
  // until the test has seen steward meet it.
  set.Add("evil", "user = \"nobody\"\ncommand = [\"/bin/sh\", \"-c\", \""
                  "cd " + evil_dir + " && ln -s " + secret + " app.log && " +
                  WriteUntil("link", "@DIR/go-fifo") + "; rm app.log; mkfifo app.log; " +
                  WriteUntil("fifo", "@DIR/go-dangling") + "; rm app.log; ln -s @DIR/nowhere app.log; " +
                  WriteUntil("dangling", "@DIR/go-end") + "; exec sleep 100\"]\n");
  set.Add("good", "command = [\"/bin/sh\", \"-c\", \"" + WriteUntil("good", "@DIR/go-end") +
                      "; exec sleep 100\"]\n");
  Process p(set.Args());
  std::string link_text = "files: cannot open " + evil_log + ": is a symbolic link in " + evil_dir +
                          ", which uid 65534 owns; steward does not follow it (replace the link "
                          "with a regular file, or keep the sink's files in a directory only root "
                          "can write); its records are dropped for this sink";
  std::string fifo_text = "files: cannot open " + evil_log + ": is a FIFO, not a regular file (remove "
                          "it: steward writes only regular files; or change the sink's path); its "
                          "records are dropped for this sink";
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), link_text).empty(); })) << p.Stderr();
  EXPECT_NE(std::string::npos, Problem(set).find("cannot open " + evil_log + ": is a symbolic link"));
  WriteFile(set.path("go-fifo"), "");
  ASSERT_TRUE(WaitFor([&] { return !Grep(p.Stderr(), fifo_text).empty(); })) << p.Stderr();
  EXPECT_NE(std::string::npos, Problem(set).find("cannot open " + evil_log + ": is a FIFO"));
  WriteFile(set.path("go-dangling"), "");
  // The retry meets the dangling link: the problem is a link again.
  ASSERT_TRUE(WaitFor([&] {
    return Problem(set).find("cannot open " + evil_log + ": is a symbolic link") != std::string::npos;
  })) << Problem(set);
  WriteFile(set.path("go-end"), "");
  std::string total_line;
  ASSERT_TRUE(WaitFor([&] {
    std::vector<std::string> t = Grep(p.Stdout(), "good-total ");
    if (t.empty()) return false;
    total_line = t[0];
    return true;
  })) << p.Stderr();
  int total = std::stoi(total_line.substr(total_line.find("good-total ") + 11));
  ASSERT_GT(total, 0);
  // Every numbered line of the other service: on the console and in its file.
  EXPECT_EQ("", CheckSequence(Numbers(Lines(p.Stdout()), "good"), total, false));
  std::string good_log = set.path("logs/good/app.log");
  ASSERT_TRUE(WaitFor([&] { return ReadFile(good_log).find(" good-total ") != std::string::npos; }))
      << p.Stderr();
  EXPECT_EQ("", CheckSequence(Numbers(Lines(ReadFile(good_log)), "good"), total, false));
  // The attacker's lines still reach the console; none reached a file.
  EXPECT_FALSE(Numbers(Lines(p.Stdout()), "dangling").empty());
  EXPECT_EQ("root only\n", ReadFile(secret));
  EXPECT_FALSE(Exists(set.path("nowhere")));
  struct stat st;
  ASSERT_EQ(0, lstat(evil_log.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // Announced once per cause; the stop takes its normal time.
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: " + link_text).size()) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: " + fifo_text).size()) << p.Stderr();
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait(seconds(15))) << p.Stderr();
  ExpectNoSanitizerReport(p);
}

// A FIFO where the forwarder keeps a network sink's spool (a runtime
// directory someone else could write): not opened, nothing blocks, the
// spool is kept in memory and said so.
TEST(FaultSinkAttack, AFifoAtASpoolsNameIsNotOpened) {
  LogSet set;
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // the collector: never read
  ASSERT_GE(udp, 0);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(0, bind(udp, reinterpret_cast<struct sockaddr*>(&a), sizeof a));
  ASSERT_EQ(0, getsockname(udp, reinterpret_cast<struct sockaddr*>(&a), &len));
  std::string spool = set.path("run/log/central.spool");
  ASSERT_EQ(0, mkdir(set.path("run/log").c_str(), 0700));
  ASSERT_EQ(0, mkfifo(spool.c_str(), 0600));
  set.Global(fmt::format("console = \"prefixed\"\n[[log.sink]]\nname = \"central\"\ntype = \"syslog\"\n"
                         "url = \"udp://127.0.0.1:{}\"\n",
                         ntohs(a.sin_port)));
  set.Add("app", "command = [\"/bin/sh\", \"-c\", \"i=0; while [ $$i -lt 100 ]; do i=$$((i+1)); "
                 "echo s-$$i; done; exec sleep 100\"]\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Numbers(Lines(p.Stdout()), "s").size() == 100; })) << p.Stderr();
  EXPECT_EQ(1u, Grep(p.Stderr(), "central: cannot open spool " + spool +
                                     ": is a FIFO, not a regular file; spooling in memory")
                    .size())
      << p.Stderr();
  struct stat st;
  ASSERT_EQ(0, lstat(spool.c_str(), &st));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  p.Signal(SIGTERM);
  ASSERT_EQ(0, p.Wait(seconds(15))) << p.Stderr();
  close(udp);
  ExpectNoSanitizerReport(p);
}

}  // namespace
}  // namespace steward::testing
