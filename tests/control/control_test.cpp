// The pure half of the control socket: wire format and its limits, verb
// parsing, the status table and JSON, the client's arguments and where it
// looks for the socket. The server and client themselves run against the
// real binary in tests/integration/control_test.cpp.
#include "steward/control/control.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <set>

#include "steward/control/ctl.hpp"

namespace steward {
namespace {

using V = std::vector<std::string>;
using namespace std::chrono_literals;

std::string Wire(const V& args) {
  std::string out, err;
  EXPECT_TRUE(EncodeRequest(args, &out, &err)) << err;
  return out;
}

// ---- wire protocol ----

TEST(ControlProtocol, RequestIsMagicThenNulTerminatedArgsThenEmptyArg) {
  EXPECT_EQ(std::string("steward-ctl/1\0status\0web\0\0", 26), Wire({"status", "web"}));
}

TEST(ControlProtocol, RequestRoundTrips) {
  V args;
  std::string err;
  ASSERT_EQ(Decode::kComplete, DecodeRequest(Wire({"signal", "USR1", "a", "b"}), &args, &err));
  EXPECT_EQ((V{"signal", "USR1", "a", "b"}), args);
}

TEST(ControlProtocol, EveryPrefixOfARequestIsIncomplete) {
  std::string w = Wire({"stop", "web", "--no-wait"});
  for (size_t n = 0; n < w.size(); ++n) {
    V args;
    std::string err;
    EXPECT_EQ(Decode::kIncomplete, DecodeRequest(w.substr(0, n), &args, &err)) << n << ": " << err;
  }
}

TEST(ControlProtocol, WrongMagicIsInvalidAsSoonAsItDiffers) {
  V args;
  std::string err;
  EXPECT_EQ(Decode::kInvalid, DecodeRequest("GET / HTTP", &args, &err));
  EXPECT_EQ("not a steward ctl request (expected protocol steward-ctl/1)", err);
  EXPECT_EQ(Decode::kInvalid, DecodeRequest(std::string("steward-ctl/2\0", 14), &args, &err));
}

TEST(ControlProtocol, BytesAfterTheEndAreInvalid) {
  V args;
  std::string err;
  EXPECT_EQ(Decode::kInvalid, DecodeRequest(Wire({"health"}) + "x", &args, &err));
  EXPECT_EQ("unexpected bytes after the request", err);
}

TEST(ControlProtocol, OversizedRequestIsInvalidWithoutATerminator) {
  V args;
  std::string err;
  std::string w = std::string(kCtlMagic) + '\0' + std::string(kMaxRequestBytes, 'a');
  EXPECT_EQ(Decode::kInvalid, DecodeRequest(w, &args, &err));
  EXPECT_EQ("request too large (at most 65536 bytes)", err);
}

TEST(ControlProtocol, TooManyArgumentsAreRefusedOnBothSides) {
  V many(kMaxRequestArgs + 1, "x");
  std::string out, err;
  EXPECT_FALSE(EncodeRequest(many, &out, &err));
  EXPECT_EQ("too many arguments (at most 1024)", err);
  std::string w(kCtlMagic);
  w += '\0';
  for (size_t i = 0; i <= kMaxRequestArgs; ++i) w += std::string("x\0", 2);
  V args;
  EXPECT_EQ(Decode::kInvalid, DecodeRequest(w, &args, &err));
  EXPECT_EQ("too many arguments (at most 1024)", err);
}

TEST(ControlProtocol, EmptyArgumentCannotBeEncoded) {
  std::string out, err;
  EXPECT_FALSE(EncodeRequest({"status", ""}, &out, &err));
  EXPECT_EQ("empty argument", err);
}

TEST(ControlProtocol, ResponseIsExitCodeLineThenText) {
  EXPECT_EQ("1\nweb: failed\n", EncodeResponse(1, "web: failed\n"));
  int code = -1;
  std::string text;
  ASSERT_TRUE(DecodeResponse("3\nsome\ntext", &code, &text));
  EXPECT_EQ(3, code);
  EXPECT_EQ("some\ntext", text);
  ASSERT_TRUE(DecodeResponse("0\n", &code, &text));
  EXPECT_EQ(0, code);
  EXPECT_EQ("", text);
}

TEST(ControlProtocol, MalformedResponsesAreRejected) {
  int code;
  std::string text;
  EXPECT_FALSE(DecodeResponse("", &code, &text));
  EXPECT_FALSE(DecodeResponse("0", &code, &text));
  EXPECT_FALSE(DecodeResponse("\nx", &code, &text));
  EXPECT_FALSE(DecodeResponse("x\n", &code, &text));
  EXPECT_FALSE(DecodeResponse("256\n", &code, &text));
}

// ---- verbs ----

struct Parsed {
  bool ok;
  CtlRequest r;
  std::string err;
};
Parsed Parse(const V& args) {
  Parsed p;
  p.ok = ParseCtlRequest(args, &p.r, &p.err);
  return p;
}

TEST(ControlVerbs, StatusTakesNamesAndJson) {
  Parsed p = Parse({"status", "web", "--json", "db"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(CtlRequest::Verb::kStatus, p.r.verb);
  EXPECT_EQ((V{"web", "db"}), p.r.names);
  EXPECT_TRUE(p.r.json);
  EXPECT_TRUE(Parse({"status"}).ok);
}

TEST(ControlVerbs, StartStopRestartNeedNamesAndTakeNoWait) {
  for (const char* verb : {"start", "stop", "restart"}) {
    Parsed p = Parse({verb, "a", "b"});
    ASSERT_TRUE(p.ok) << p.err;
    EXPECT_TRUE(p.r.wait);
    EXPECT_EQ((V{"a", "b"}), p.r.names);
    p = Parse({verb, "--no-wait", "a"});
    ASSERT_TRUE(p.ok) << p.err;
    EXPECT_FALSE(p.r.wait);
    p = Parse({verb});
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(std::string(verb) + ": name at least one service", p.err);
  }
}

TEST(ControlVerbs, SignalTakesANameOrNumberAndServices) {
  Parsed p = Parse({"signal", "USR1", "web"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(SIGUSR1, p.r.signal);
  EXPECT_EQ((V{"web"}), p.r.names);
  EXPECT_EQ(SIGHUP, Parse({"signal", "SIGHUP", "web"}).r.signal);
  EXPECT_EQ(9, Parse({"signal", "9", "web"}).r.signal);
  EXPECT_EQ(SIGTERM, Parse({"signal", "-TERM", "web"}).r.signal);
  EXPECT_EQ("signal: unknown signal 'BOGUS'", Parse({"signal", "BOGUS", "web"}).err);
  EXPECT_EQ("signal: give a signal and at least one service", Parse({"signal", "TERM"}).err);
}

TEST(ControlVerbs, ShutdownTakesAnExitCode) {
  Parsed p = Parse({"shutdown"});
  ASSERT_TRUE(p.ok);
  EXPECT_FALSE(p.r.exit_code.has_value());
  EXPECT_EQ(3, Parse({"shutdown", "--exit-code", "3"}).r.exit_code);
  EXPECT_EQ(4, Parse({"shutdown", "--exit-code=4"}).r.exit_code);
  EXPECT_EQ("shutdown: invalid exit code '256' (use 0 to 255)",
            Parse({"shutdown", "--exit-code", "256"}).err);
  EXPECT_EQ("shutdown: option '--exit-code' needs a value", Parse({"shutdown", "--exit-code"}).err);
}

TEST(ControlVerbs, LogsTakesOneNameAndCountAndFollow) {
  Parsed p = Parse({"logs", "web", "-n", "5", "-f"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ((V{"web"}), p.r.names);
  EXPECT_EQ(5, p.r.lines);
  EXPECT_TRUE(p.r.follow);
  EXPECT_EQ(7, Parse({"logs", "-n7", "web"}).r.lines);
  EXPECT_EQ("logs: name exactly one service", Parse({"logs", "a", "b"}).err);
}

TEST(ControlVerbs, VerbsWithoutArgumentsRefuseThem) {
  for (const char* verb : {"reload", "health", "graph", "shutdown"}) {
    EXPECT_TRUE(Parse({verb}).ok) << verb;
    EXPECT_EQ(std::string(verb) + ": unexpected argument 'x'", Parse({verb, "x"}).err);
  }
}

TEST(ControlVerbs, UnknownVerbAndOptionsAreNamed) {
  EXPECT_EQ("unknown verb 'frobnicate'", Parse({"frobnicate"}).err);
  EXPECT_EQ("no verb given", Parse({}).err);
  EXPECT_EQ("status: unknown option '--no-wait'", Parse({"status", "--no-wait"}).err);
  EXPECT_EQ("start: unknown option '--json'", Parse({"start", "web", "--json"}).err);
}

TEST(ControlVerbs, UsageNamesEveryVerb) {
  std::string usage = CtlUsage();
  for (const char* verb : {"status", "start", "stop", "restart", "signal", "reload", "health",
                           "shutdown", "logs", "graph"}) {
    EXPECT_NE(std::string::npos, usage.find(std::string("\n  ") + verb + " ")) << verb;
  }
}

// ---- answers ----

TEST(ControlFormat, UptimeShowsTheTwoLargestUnits) {
  EXPECT_EQ("0s", FormatUptime(0s));
  EXPECT_EQ("0s", FormatUptime(999ms));
  EXPECT_EQ("59s", FormatUptime(59s));
  EXPECT_EQ("3m12s", FormatUptime(192s));
  EXPECT_EQ("1m0s", FormatUptime(60s));
  EXPECT_EQ("2h5m", FormatUptime(2h + 5min + 59s));
  EXPECT_EQ("3d4h", FormatUptime(24h * 3 + 4h + 30min));
}

ServiceStatus Svc(std::string name, State state) {
  ServiceStatus s;
  s.name = std::move(name);
  s.state = state;
  return s;
}

int Exited(int code) { return code << 8; }  // a wait status, as W_EXITCODE builds it

TEST(ControlFormat, LastExitIsCodeOrSignalName) {
  ServiceStatus s = Svc("a", State::kBackoff);
  EXPECT_EQ("-", FormatLastExit(s));
  s.has_exited = true;
  s.last_status = Exited(0);
  EXPECT_EQ("0", FormatLastExit(s));
  s.last_status = Exited(1);
  EXPECT_EQ("1", FormatLastExit(s));
  s.last_status = SIGKILL;  // killed by signal 9
  ASSERT_TRUE(WIFSIGNALED(s.last_status));
  EXPECT_EQ("SIGKILL", FormatLastExit(s));
}

std::vector<ServiceStatus> Sample() {
  ServiceStatus web = Svc("web", State::kReady);
  web.pid = 42;
  web.uptime = 192s;
  web.ready = true;
  web.health = Health::kHealthy;
  web.restarts = 2;
  web.has_exited = true;
  web.last_status = SIGKILL;
  ServiceStatus migrate = Svc("migrate", State::kFailed);
  migrate.type = ServiceType::kOneshot;
  migrate.has_exited = true;
  migrate.last_status = Exited(3);
  ServiceStatus app = Svc("app", State::kBlocked);
  app.blocked_by = "migrate";
  return {app, migrate, web};
}

TEST(ControlFormat, StatusTableAlignsColumns) {
  EXPECT_EQ(
      "NAME     STATE               PID  UPTIME  RESTARTS  READY  HEALTH   LAST EXIT\n"
      "app      blocked by migrate  -    -       0         no     -        -\n"
      "migrate  failed              -    -       0         no     -        3\n"
      "web      ready               42   3m12s   2         yes    healthy  SIGKILL\n",
      FormatStatusTable(Sample(), {}));
}

TEST(ControlFormat, StatusTableListsSinksWithDrops) {
  std::vector<ServiceStatus> one = {Sample()[2]};
  EXPECT_EQ(
      "NAME  STATE  PID  UPTIME  RESTARTS  READY  HEALTH   LAST EXIT\n"
      "web   ready  42   3m12s   2         yes    healthy  SIGKILL\n"
      "\n"
      "SINK     DROPPED\n"
      "central  1234\n"
      "files    0\n",
      FormatStatusTable(one, {{"central", 1234}, {"files", 0}}));
}

TEST(ControlFormat, StatusJsonIsOneObject) {
  EXPECT_EQ(
      "{\"services\":["
      "{\"name\":\"app\",\"type\":\"longrun\",\"main\":false,\"state\":\"blocked\","
      "\"blocked_by\":\"migrate\",\"pid\":null,\"uptime_ms\":0,\"restarts\":0,\"ready\":false,"
      "\"health\":\"none\",\"health_check\":null,\"last_exit\":null,\"last_exit_code\":null},"
      "{\"name\":\"migrate\",\"type\":\"oneshot\",\"main\":false,\"state\":\"failed\","
      "\"blocked_by\":null,\"pid\":null,\"uptime_ms\":0,\"restarts\":0,\"ready\":false,"
      "\"health\":\"none\",\"health_check\":null,\"last_exit\":\"3\",\"last_exit_code\":3},"
      "{\"name\":\"web\",\"type\":\"longrun\",\"main\":false,\"state\":\"ready\","
      "\"blocked_by\":null,\"pid\":42,\"uptime_ms\":192000,\"restarts\":2,\"ready\":true,"
      "\"health\":\"healthy\",\"health_check\":null,\"last_exit\":\"SIGKILL\",\"last_exit_code\":137}"
      "],\"sinks\":[{\"name\":\"central\",\"dropped\":7}]}\n",
      FormatStatusJson(Sample(), {{"central", 7}}));
}

TEST(ControlFormat, StatusJsonEscapesNames) {
  EXPECT_EQ("{\"services\":[],\"sinks\":[{\"name\":\"a\\\"b\",\"dropped\":0}]}\n",
            FormatStatusJson({}, {{"a\"b", 0}}));
}

// ---- the client ----

TEST(CtlArgs, RuntimeDirAndHelpComeBeforeTheVerb) {
  CtlArgs a;
  std::string err;
  ASSERT_TRUE(ParseCtlArgs({"--runtime-dir", "/x", "status", "--json"}, &a, &err)) << err;
  EXPECT_EQ("/x", a.runtime_dir);
  EXPECT_EQ((V{"status", "--json"}), a.request);
  ASSERT_TRUE(ParseCtlArgs({"--runtime-dir=/y", "health"}, &a, &err));
  EXPECT_EQ("/y", a.runtime_dir);
  ASSERT_TRUE(ParseCtlArgs({"--help"}, &a, &err));
  EXPECT_TRUE(a.help);
  ASSERT_TRUE(ParseCtlArgs({"help"}, &a, &err));
  EXPECT_TRUE(a.help);
}

TEST(CtlArgs, OptionsAfterTheVerbBelongToIt) {
  CtlArgs a;
  std::string err;
  ASSERT_TRUE(ParseCtlArgs({"status", "--runtime-dir", "/x"}, &a, &err));
  EXPECT_FALSE(a.runtime_dir.has_value());
  EXPECT_EQ((V{"status", "--runtime-dir", "/x"}), a.request);
}

TEST(CtlArgs, UnknownOptionAndMissingValueAreErrors) {
  CtlArgs a;
  std::string err;
  EXPECT_FALSE(ParseCtlArgs({"--bogus", "status"}, &a, &err));
  EXPECT_EQ("unknown option '--bogus'", err);
  EXPECT_FALSE(ParseCtlArgs({"--runtime-dir"}, &a, &err));
  EXPECT_EQ("option '--runtime-dir' needs a value", err);
}

TEST(CtlSocket, RuntimeDirWins) {
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ("/srv/run/control.sock", FindControlSocket(std::string("/srv/run"), 0, none));
}

TEST(CtlSocket, RunStewardThenTmpFallback) {
  std::set<std::string> present;
  auto exists = [&](const std::string& p) { return present.count(p) > 0; };
  EXPECT_EQ("/run/steward/control.sock", FindControlSocket(std::nullopt, 1000, exists));
  present.insert("/tmp/steward-1000/control.sock");
  EXPECT_EQ("/tmp/steward-1000/control.sock", FindControlSocket(std::nullopt, 1000, exists));
  present.insert("/run/steward/control.sock");
  EXPECT_EQ("/run/steward/control.sock", FindControlSocket(std::nullopt, 1000, exists));
}

}  // namespace
}  // namespace steward
