// steward ctl against the real binary, continued: who may connect, hostile and vanishing clients, usage errors, finding the socket.
#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;

TEST(Control, SocketIsPrivateAndOthersAreRefused) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.socket()); }));
  struct stat st;
  ASSERT_EQ(0, lstat(set.socket().c_str(), &st));
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(0600u, st.st_mode & 07777);
  EXPECT_EQ(0u, st.st_uid);

  // The file mode keeps nobody out...
  CtlResult r = Ctl(set, {"status"}, AsNobody());
  EXPECT_EQ(1, r.code);
  EXPECT_EQ("steward ctl: permission denied: " + set.socket() +
                " (run as root, as steward's user, or as a member of its control_group)\n",
            r.err);
  // ...and so do the peer's credentials when the mode has been loosened.
  ASSERT_EQ(0, chmod(set.socket().c_str(), 0666));
  r = Ctl(set, {"stop", "db"}, AsNobody());
  EXPECT_EQ(1, r.code);
  EXPECT_EQ("permission denied: uid 65534 may not control steward (allowed: root)\n", r.err);
  EXPECT_EQ("ready", State(set, "db"));
  EXPECT_EQ(1u, Grep(p.Stderr(), "steward: warning: control: refused a client: uid 65534").size())
      << p.Stderr();
}

TEST(Control, ControlGroupMembersMayControl) {
  Set set;
  set.Add("db", Recorder("db"));
  std::string config = set.path("steward.toml");
  WriteFile(config, "control_group = \"nogroup\"\n[log]\nsyslog_socket = \"\"\n");
  Process p(set.ArgsWithConfig(config));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); })) << p.Stderr();
  struct stat st;
  ASSERT_EQ(0, lstat(set.socket().c_str(), &st));
  EXPECT_EQ(0660u, st.st_mode & 07777);
  EXPECT_EQ(kNogroup, st.st_gid);
  CtlResult r = Ctl(set, {"status", "db"}, AsNobody());
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("ready", Cell(r.out, "db", 1)) << r.out;
}

TEST(Control, StalledAndBrokenClientsDoNotStallSteward) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.socket()); }));
  // Half a request, then silence.
  int stalled = RawConnect(set.socket());
  ASSERT_GE(stalled, 0);
  ASSERT_EQ(5, write(stalled, "stewa", 5));
  // Not the protocol at all.
  int garbage = RawConnect(set.socket());
  ASSERT_GE(garbage, 0);
  ASSERT_EQ(16, write(garbage, "GET / HTTP/1.0\r\n", 16));
  EXPECT_EQ("2\nnot a steward ctl request (expected protocol steward-ctl/1)\n", ReadAll(garbage));
  close(garbage);
  // Far too much.
  int flood = RawConnect(set.socket());
  std::string big = std::string("steward-ctl/1\0", 14) + std::string(100000, 'a');
  (void)!send(flood, big.data(), big.size(), MSG_NOSIGNAL);
  EXPECT_EQ("2\nrequest too large (at most 65536 bytes)\n", ReadAll(flood));
  close(flood);
  // Meanwhile everyone else is served.
  EXPECT_EQ(0, Ctl(set, {"status"}).code);
  // And the stalled client is dropped after the request deadline.
  EXPECT_EQ("", ReadAll(stalled));
  close(stalled);
  EXPECT_EQ(0, Ctl(set, {"status"}).code);
}

TEST(Control, ClientGoingAwayWhileWaitingIsHarmless) {
  Set set;
  // Takes 1 s to stop: the client is killed while it waits.
  set.Add("slow", "command = \"trap 'sleep 1; echo stop slow >> @LOG; exit 0' TERM; "
                  "echo start slow >> @LOG; while :; do sleep 1 & wait $$!; done\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start slow"); }));
  pid_t client = fork();
  if (client == 0) {
    execl(StewardBin(), StewardBin(), "ctl", "--runtime-dir", set.run().c_str(), "stop", "slow",
          nullptr);
    _exit(126);
  }
  ASSERT_TRUE(WaitFor([&] { return State(set, "slow") == "stopping"; }));
  kill(client, SIGKILL);
  waitpid(client, nullptr, 0);
  ASSERT_TRUE(WaitFor([&] { return set.Has("stop slow"); }));
  EXPECT_TRUE(WaitFor([&] { return State(set, "slow") == "stopped"; }));
  CtlResult r = Ctl(set, {"start", "slow"});
  EXPECT_EQ(0, r.code) << r.err;
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(Control, UsageErrorsNeedNoSteward) {
  CtlResult r = Ctl({"--runtime-dir", "/nonexistent", "frobnicate"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ(0u, r.err.find("steward ctl: unknown verb 'frobnicate'\nUsage: steward ctl")) << r.err;
  r = Ctl({});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ(0u, r.err.find("steward ctl: no verb given\n")) << r.err;
  r = Ctl({"--help"});
  EXPECT_EQ(0, r.code);
  EXPECT_EQ(0u, r.out.find("Usage: steward ctl")) << r.out;
}

TEST(Control, NoStewardRunningIsNamed) {
  CtlResult r = Ctl({"--runtime-dir", "/nonexistent", "status"});
  EXPECT_EQ(1, r.code);
  EXPECT_EQ("steward ctl: no steward is running here (no /nonexistent/control.sock)\n", r.err);
  CtlOptions o;
  o.env["STEWARD_RUNTIME_DIR"] = "/nonexistent";
  r = Ctl({"status"}, o);
  EXPECT_EQ("steward ctl: no steward is running here (no /nonexistent/control.sock)\n", r.err);
}

TEST(Control, StewardctlNameAndEnvironmentFindTheSocket) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); }));
  TempDir bin;
  ASSERT_EQ(0, symlink(StewardBin(), (bin / "stewardctl").c_str()));
  CtlOptions o;
  o.argv0 = bin / "stewardctl";
  o.env["STEWARD_RUNTIME_DIR"] = set.run();
  CtlResult r = Ctl({"status", "db"}, o);
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("ready", Cell(r.out, "db", 1)) << r.out;
}

}  // namespace
}  // namespace steward::testing
