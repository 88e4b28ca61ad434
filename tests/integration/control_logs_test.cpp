// steward ctl logs against the real binary: the forwarder's ring of recent lines, -n, -f with two followers.
#include <string.h>

#include <algorithm>

#include "control_support.hpp"

namespace steward::testing {
namespace {

using namespace controlled;

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
  Process p(set.ArgsWithConfig(set.path("steward.toml")));
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
