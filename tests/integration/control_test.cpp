// `steward ctl` (SPEC §6) against the real binary as PID 1 in its own PID
// namespace, driven from outside as a user would: the client is the same
// static binary, run as a separate process (as root, or as nobody), and
// services record what happens to them in a shared event log.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "harness.hpp"

namespace steward::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// A services directory, a runtime directory and an event log in one place
// (as in supervisor_test.cpp), readable by nobody for the permission tests.
class Set {
 public:
  Set() {
    (void)mkdir((dir_ / "services").c_str(), 0755);
    (void)mkdir((dir_ / "run").c_str(), 0755);
    chmod(dir_.path().c_str(), 0755);
    WriteFile(log(), "", 0666);
  }
  std::string services() const { return dir_ / "services"; }
  std::string run() const { return dir_ / "run"; }
  std::string socket() const { return dir_ / "run/control.sock"; }
  std::string log() const { return dir_ / "events"; }
  std::string path(const std::string& name) const { return dir_ / name; }
  void Add(const std::string& name, std::string toml) {
    for (size_t at; (at = toml.find("@LOG")) != std::string::npos;) toml.replace(at, 4, log());
    for (size_t at; (at = toml.find("@DIR")) != std::string::npos;) toml.replace(at, 4, dir_.path());
    WriteFile(services() + "/" + name + ".toml", toml);
  }
  std::vector<std::string> Args(const std::string& config = "") const {
    return {"--services", services(), "--config", config, "--runtime-dir", run()};
  }
  std::vector<std::string> Events() const { return Lines(ReadFile(log())); }
  int Count(const std::string& event) const {
    auto ev = Events();
    return int(std::count(ev.begin(), ev.end(), event));
  }
  bool Has(const std::string& event) const { return Count(event) > 0; }
  // Position of the n-th (0-based) occurrence of an event; -1 when absent.
  int At(const std::string& event, int nth = 0) const {
    auto ev = Events();
    for (size_t i = 0; i < ev.size(); ++i) {
      if (ev[i] == event && nth-- == 0) return int(i);
    }
    return -1;
  }

 private:
  TempDir dir_;
};

// A longrun that records its start, SIGUSR1, and its stop on SIGTERM.
std::string Recorder(const std::string& name, const std::string& extra = "") {
  return "command = \"\"\"\n"
         "trap 'echo stop " + name + " >> @LOG; exit 0' TERM\n"
         "trap 'echo usr1 " + name + " >> @LOG' USR1\n"
         "echo start " + name + " >> @LOG\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n" + extra;
}

// The same, ready only once its start is on record (without a [ready]
// check "started" is ready, and a dependent could win the race to the log).
std::string ReadyRecorder(const std::string& name, const std::string& extra = "") {
  return "command = \"\"\"\n"
         "trap 'echo stop " + name + " >> @LOG; exit 0' TERM\n"
         "echo start " + name + " >> @LOG\n"
         "touch @DIR/" + name + ".ready\n"
         "while :; do sleep 1 & wait $$!; done\n\"\"\"\n" + extra +
         "[ready]\nfile = \"@DIR/" + name + ".ready\"\n";
}

struct CtlResult {
  int code = -1;
  std::string out, err;
};

struct CtlOptions {
  bool as_nobody = false;
  std::string argv0;  // run under this path instead of the steward binary (stewardctl)
  std::map<std::string, std::string> env;
};

// Runs `steward ctl ARGS...` to completion (60 s at most) and collects what
// it printed.
CtlResult Ctl(const std::vector<std::string>& args, const CtlOptions& o = {}) {
  TempDir tmp;
  std::string out = tmp / "out", err = tmp / "err";
  std::string bin = o.argv0.empty() ? StewardBin() : o.argv0;
  std::vector<std::string> a = {bin};
  if (o.argv0.empty()) a.push_back("ctl");
  a.insert(a.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    for (auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);
    if (o.as_nobody && (setgroups(0, nullptr) < 0 || setgid(kNogroup) < 0 || setuid(kNobody) < 0))
      _exit(125);
    execv(argv[0], argv.data());
    _exit(126);
  }
  CtlResult r;
  auto end = std::chrono::steady_clock::now() + seconds(60);
  int st;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      r.err = "(timed out)";
      return r;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

CtlOptions AsNobody() {
  CtlOptions o;
  o.as_nobody = true;
  return o;
}

CtlResult Ctl(const Set& set, std::vector<std::string> args, const CtlOptions& o = {}) {
  args.insert(args.begin(), {"--runtime-dir", set.run()});
  return Ctl(args, o);
}

// The table row of a service, split into its cells.
std::vector<std::string> Row(const std::string& table, const std::string& name) {
  for (const std::string& line : Lines(table)) {
    if (line.compare(0, name.size() + 1, name + " ") != 0) continue;
    std::vector<std::string> cells;
    size_t at = 0;
    while (at < line.size()) {
      size_t end = line.find("  ", at);
      if (end == std::string::npos) end = line.size();
      cells.push_back(line.substr(at, end - at));
      at = line.find_first_not_of(' ', end);
      if (at == std::string::npos) break;
    }
    return cells;
  }
  return {};
}

// One cell of a service's row; "" when there is none.
std::string Cell(const std::string& table, const std::string& name, size_t column) {
  std::vector<std::string> row = Row(table, name);
  return column < row.size() ? row[column] : "";
}

std::string State(const Set& set, const std::string& name) {
  return Cell(Ctl(set, {"status", name}).out, name, 1);
}

// Connects to the socket directly, to speak (or not) the protocol by hand.
int RawConnect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  return out;
}

TEST(Control, StatusTableListsServicesWithTheirStates) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("web", Recorder("web", "depends_on = [\"db\"]\n"));
  set.Add("migrate", "type = \"oneshot\"\ncommand = \"exit 0\"\n");
  set.Add("broken", "type = \"oneshot\"\ncommand = \"exit 3\"\n");
  set.Add("report", Recorder("report", "depends_on = [\"broken\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web") && State(set, "report") == "blocked by broken"; }))
      << p.Stderr();

  CtlResult r = Ctl(set, {"status"});
  ASSERT_EQ(0, r.code) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(6u, lines.size()) << r.out;
  EXPECT_EQ(0u, lines[0].find("NAME")) << r.out;
  for (const char* column : {"STATE", "PID", "UPTIME", "RESTARTS", "READY", "HEALTH", "LAST EXIT"})
    EXPECT_NE(std::string::npos, lines[0].find(column)) << column;
  std::vector<std::string> web = Row(r.out, "web");
  ASSERT_EQ(8u, web.size()) << r.out;
  EXPECT_EQ("ready", web[1]);
  EXPECT_GT(std::stoi(web[2]), 1);  // a pid in steward's namespace
  EXPECT_EQ("yes", web[5]);
  EXPECT_EQ("-", web[7]);
  EXPECT_EQ((std::vector<std::string>{"migrate", "exited", "-", "-", "0", "yes", "-", "0"}),
            Row(r.out, "migrate"));
  EXPECT_EQ((std::vector<std::string>{"broken", "failed", "-", "-", "0", "no", "-", "3"}),
            Row(r.out, "broken"));
  EXPECT_EQ("blocked by broken", Cell(r.out, "report", 1));

  // Named services only, in the order given; an unknown name is exit 2.
  r = Ctl(set, {"status", "web", "db"});
  ASSERT_EQ(0, r.code);
  ASSERT_EQ(3u, Lines(r.out).size()) << r.out;
  EXPECT_EQ(0u, Lines(r.out)[1].find("web "));
  r = Ctl(set, {"status", "nope"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ("unknown service: nope (see steward ctl status)\n", r.err);
  EXPECT_EQ("", r.out);
}

TEST(Control, StatusJsonIsOneObjectWithEveryService) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("broken", "type = \"oneshot\"\ncommand = \"exit 3\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db") && State(set, "broken") == "failed"; }));
  CtlResult r = Ctl(set, {"status", "--json"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ(0u, r.out.find("{\"services\":[{\"name\":\"broken\",\"type\":\"oneshot\"")) << r.out;
  EXPECT_NE(std::string::npos,
            r.out.find("\"state\":\"failed\",\"blocked_by\":null,\"pid\":null,\"uptime_ms\":0,"
                       "\"restarts\":0,\"ready\":false,\"health\":\"none\",\"last_exit\":\"3\","
                       "\"last_exit_code\":3}"))
      << r.out;
  EXPECT_NE(std::string::npos, r.out.find("{\"name\":\"db\",\"type\":\"longrun\",\"main\":false,"
                                          "\"state\":\"ready\""))
      << r.out;
  EXPECT_EQ("]}\n", r.out.substr(r.out.size() - 3)) << r.out;
  EXPECT_EQ(1u, Lines(r.out).size());
}

TEST(Control, StatusListsLogSinksWithTheirDrops) {
  Set set;
  set.Add("db", Recorder("db"));
  std::string config = set.path("steward.toml");
  WriteFile(config, "[log]\nconsole = \"off\"\nsyslog_socket = \"\"\n"
                    "[[log.sink]]\nname = \"files\"\ntype = \"file\"\npath = \"" +
                        set.path("{service}.log") + "\"\n");
  Process p(set.Args(config));
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); })) << p.Stderr();
  CtlResult r = Ctl(set, {"status"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("\n\nSINK   DROPPED\nfiles  0\n")) << r.out;
  r = Ctl(set, {"status", "--json"});
  EXPECT_NE(std::string::npos, r.out.find("\"sinks\":[{\"name\":\"files\",\"dropped\":0}]")) << r.out;
}

TEST(Control, HealthIsZeroWhenEverythingIsReady) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("migrate", "type = \"oneshot\"\ncommand = \"exit 0\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Ctl(set, {"health"}).code == 0; })) << p.Stderr();
  CtlResult r = Ctl(set, {"health"});
  EXPECT_EQ("healthy: 2 services up and ready\n", r.out);
}

TEST(Control, HealthIsOneNamingAFailedOneshot) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("broken", "type = \"oneshot\"\ncommand = \"exit 3\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db") && State(set, "broken") == "failed"; }));
  CtlResult r = Ctl(set, {"health"});
  EXPECT_EQ(1, r.code);
  EXPECT_EQ("broken: failed\n", r.err);
  EXPECT_EQ("", r.out);
}

TEST(Control, StopTakesDependentsDownInReverseOrderAndStartBringsThemBack) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", ReadyRecorder("app", "depends_on = [\"db\"]\n"));
  set.Add("web", ReadyRecorder("web", "depends_on = [\"app\"]\n"));
  set.Add("cron", Recorder("cron"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start web") && set.Has("start cron"); }));

  // Waits: when ctl returns, all three are down.
  CtlResult r = Ctl(set, {"stop", "db"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_LT(set.At("stop web"), set.At("stop app"));
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_FALSE(set.Has("stop cron"));
  for (const char* s : {"db", "app", "web"}) EXPECT_EQ("stopped", State(set, s)) << s;
  EXPECT_EQ("ready", State(set, "cron"));
  // Stopped on request, a service stays down: no restart behind our back.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(1, set.Count("start db"));

  r = Ctl(set, {"start", "web"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_LT(set.At("start db", 1), set.At("start app", 1));
  EXPECT_LT(set.At("start app", 1), set.At("start web", 1));
  for (const char* s : {"db", "app", "web"}) EXPECT_EQ("ready", State(set, s)) << s;
  EXPECT_EQ(0, Ctl(set, {"health"}).code);

  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
}

TEST(Control, NoWaitReturnsAtOnce) {
  Set set;
  set.Add("slow", "command = \"trap 'sleep 1; exit 0' TERM; echo start slow >> @LOG; "
                  "while :; do sleep 1 & wait $$!; done\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start slow"); }));
  CtlResult r = Ctl(set, {"stop", "--no-wait", "slow"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("stopping", State(set, "slow"));
  EXPECT_TRUE(WaitFor([&] { return State(set, "slow") == "stopped"; }));
}

TEST(Control, RestartStopsDependentsFirstAndStartsThemAgain) {
  Set set;
  set.Add("db", ReadyRecorder("db"));
  set.Add("app", ReadyRecorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start app"); }));
  CtlResult r = Ctl(set, {"restart", "db"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_LT(set.At("stop app"), set.At("stop db"));
  EXPECT_LT(set.At("stop db"), set.At("start db", 1));
  EXPECT_LT(set.At("start db", 1), set.At("start app", 1));
  EXPECT_EQ("ready", State(set, "db"));
  EXPECT_EQ("ready", State(set, "app"));
}

TEST(Control, SignalReachesTheService) {
  Set set;
  set.Add("worker", Recorder("worker"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start worker"); }));
  CtlResult r = Ctl(set, {"signal", "USR1", "worker"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(WaitFor([&] { return set.Has("usr1 worker"); })) << p.Stderr();
  EXPECT_EQ("ready", State(set, "worker"));

  r = Ctl(set, {"signal", "USR1", "nope"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ("unknown service: nope (see steward ctl status)\n", r.err);
  r = Ctl(set, {"signal", "NOSUCH", "worker"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ(0u, r.err.find("steward ctl: signal: unknown signal 'NOSUCH'\nUsage:")) << r.err;
}

TEST(Control, ShutdownWithExitCode) {
  Set set;
  set.Add("db", Recorder("db"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return set.Has("start db"); }));
  CtlResult r = Ctl(set, {"shutdown", "--exit-code", "3"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("stopping\n", r.out);
  EXPECT_EQ(3, p.Wait()) << p.Stderr();
  EXPECT_TRUE(set.Has("stop db"));
  EXPECT_FALSE(Exists(set.socket())) << "the socket is removed at exit";
}

TEST(Control, GraphAndReload) {
  Set set;
  set.Add("db", Recorder("db"));
  set.Add("app", Recorder("app", "depends_on = [\"db\"]\n"));
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Exists(set.socket()); }));
  CtlResult r = Ctl(set, {"graph"});
  EXPECT_EQ(0, r.code);
  EXPECT_EQ("digraph steward {\n  \"app\" -> \"db\";\n  \"db\";\n}\n", r.out);
  r = Ctl(set, {"reload"});
  EXPECT_EQ(1, r.code);
  EXPECT_EQ(0u, r.err.find("reload is not supported yet")) << r.err;
}

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
  Process p(set.Args(config));
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


// ---- ctl logs (SPEC §6): the forwarder's ring of recent lines ---------------

// A `steward ctl ARGS...` left running (logs -f), its output in a file.
struct Follower {
  pid_t pid = -1;
  std::string out;
};
Follower StartCtl(const Set& set, const std::string& out, std::vector<std::string> args) {
  args.insert(args.begin(), {StewardBin(), "ctl", "--runtime-dir", set.run()});
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    execv(argv[0], argv.data());
    _exit(126);
  }
  return {pid, out};
}

// "2026-12-01T20:11:02.123456Z stdout line 7" -> "stdout line 7"
std::vector<std::string> WithoutTime(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& l : Lines(text)) {
    size_t sp = l.find(' ');
    EXPECT_EQ(27u, sp) << l;  // RFC 3339 UTC with microseconds
    out.push_back(sp == std::string::npos ? l : l.substr(sp + 1));
  }
  return out;
}

TEST(Control, LogsPrintsTheLastLinesOfAServiceWithTheConsoleOff) {
  Set set;
  WriteFile(set.path("steward.toml"), "[log]\nconsole = \"off\"\n");
  set.Add("app", "command = \"\"\"\n"
                 "i=1; while [ $$i -le 150 ]; do echo line $$i; i=$$((i+1)); done\n"
                 "echo oops >&2; touch @DIR/app.done\n"
                 "exec sleep 1000\n\"\"\"\n");
  set.Add("quiet", "command = [\"sleep\", \"1000\"]\n");
  Process p(set.Args(set.path("steward.toml")));
  ASSERT_TRUE(WaitFor([&] { return Exists(set.path("app.done")); })) << p.Stderr();
  // The forwarder may still be reading: wait for the last line of each
  // stream (stdout and stderr are two pipes: no order between them).
  auto has = [](const CtlResult& r, const std::string& s) { return r.out.find(s) != std::string::npos; };
  ASSERT_TRUE(WaitFor([&] {
    CtlResult r = Ctl(set, {"logs", "app", "-n", "200"});
    return has(r, "stdout line 150\n") && has(r, "stderr oops\n");
  }));
  CtlResult r = Ctl(set, {"logs", "app", "-n", "3"});
  EXPECT_EQ(0, r.code) << r.err;
  std::vector<std::string> got = WithoutTime(r.out);
  ASSERT_EQ(3u, got.size()) << r.out;
  if (std::count(got.begin(), got.end(), "stderr oops") == 0) {
    EXPECT_EQ((std::vector<std::string>{"stdout line 148", "stdout line 149", "stdout line 150"}),
              got);
  }
  got.erase(std::remove(got.begin(), got.end(), "stderr oops"), got.end());
  EXPECT_EQ("stdout line 150", got.back()) << r.out;
  r = Ctl(set, {"logs", "app"});  // -n 100 by default
  ASSERT_EQ(100u, Lines(r.out).size()) << r.out;
  // The last 100 of 151 records: lines 52-150 and oops, or 51-150 when oops
  // was read before line 51.
  got = WithoutTime(r.out);
  bool oops = std::count(got.begin(), got.end(), "stderr oops") == 1;
  got.erase(std::remove(got.begin(), got.end(), "stderr oops"), got.end());
  EXPECT_EQ("stdout line " + std::to_string(oops ? 52 : 51), got.front()) << r.out;
  EXPECT_EQ("stdout line 150", got.back());

  r = Ctl(set, {"logs", "quiet"});  // wrote nothing: nothing, and success
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("", r.out);
  r = Ctl(set, {"logs", "nope"});
  EXPECT_EQ(2, r.code);
  EXPECT_EQ("unknown service: nope (see steward ctl status)\n", r.err);
  EXPECT_EQ("", ReadFile(set.path("console")));
}

TEST(Control, LogsFollowServesTwoFollowersUntilTheyLeave) {
  Set set;
  set.Add("ticker", "command = \"\"\"\n"
                    "i=0; while :; do echo tick $$i; i=$$((i+1)); sleep 0.05; done\n\"\"\"\n");
  Process p(set.Args());
  ASSERT_TRUE(WaitFor([&] { return Ctl(set, {"logs", "ticker", "-n", "1"}).out != ""; }));
  Follower a = StartCtl(set, set.path("a.out"), {"logs", "ticker", "-f", "-n", "0"});
  Follower b = StartCtl(set, set.path("b.out"), {"logs", "-f", "ticker"});
  auto lines = [](const Follower& f) { return Lines(ReadFile(f.out)).size(); };
  ASSERT_TRUE(WaitFor([&] { return lines(a) >= 20 && lines(b) >= 20; }))
      << ReadFile(a.out) << ReadFile(b.out) << p.Stderr();
  kill(a.pid, SIGINT);  // as Ctrl-C does
  kill(b.pid, SIGTERM);
  int st;
  ASSERT_EQ(a.pid, waitpid(a.pid, &st, 0));
  ASSERT_EQ(b.pid, waitpid(b.pid, &st, 0));
  // Each follower saw consecutive ticks, without a gap or a repeat.
  for (const Follower& f : {a, b}) {
    std::vector<std::string> got = WithoutTime(ReadFile(f.out));
    ASSERT_FALSE(got.empty());
    int first = std::stoi(got[0].substr(strlen("stdout tick ")));
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ("stdout tick " + std::to_string(first + int(i)), got[i]) << f.out;
  }
  // Steward carries on, and a new client is served.
  EXPECT_EQ(0, Ctl(set, {"logs", "ticker", "-n", "1"}).code);
  EXPECT_EQ("ready", State(set, "ticker"));
}

}  // namespace
}  // namespace steward::testing
