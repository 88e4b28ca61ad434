// LoadConfig's errors: unknown keys, wrong types, bad values, dependencies, users, the main program.
#include <gtest/gtest.h>

#include <fstream>

#include "config_load_fixture.hpp"
#include "steward/config/privileges.hpp"
#include "steward/config/config.hpp"
#include "steward/config/graph.hpp"

namespace steward {
namespace {

using testing_config::ConfigLoad;
using testing_config::Errors;
TEST_F(ConfigLoad, UnknownKeySuggestsNearest) {
  Service("db", "command = 'db'");
  EXPECT_EQ(Errors{P("web") + ":2:1: unknown key 'depend_on' (did you mean 'depends_on'?)"},
            ErrorsOf("command = 'x'\ndepend_on = ['db']\n"));
}

// Found by tests/fuzz/fuzz_config: toml++ 3.3.0 reaches
// __builtin_unreachable() on such a character; steward reports it first.
TEST_F(ConfigLoad, NonAsciiOutsideAStringIsAPositionedError) {
  EXPECT_EQ(Errors{P("web") + ":2:16: a character outside ASCII is allowed only inside a string or a comment"},
            ErrorsOf("command = 'x'\nenvironment = {\xcc\x9f A = 'caf\xc3\xa9' }\n"));
}

TEST_F(ConfigLoad, UnknownKeyFarFromEveryKnownOneHasNoSuggestion) {
  EXPECT_EQ(Errors{P("web") + ":2:1: unknown key 'replicas'"}, ErrorsOf("command = 'x'\nreplicas = 3\n"));
}

TEST_F(ConfigLoad, WrongTypesNameWhatWasExpectedAndWhatWasFound) {
  std::string p = P("web");
  EXPECT_EQ((Errors{
                p + ":1:11: 'command' must be an array of strings or a string, not an integer",
                p + ":2:21: 'stop_grace_period' must be a duration string like \"5s\", not an array",
                p + ":3:11: 'enabled' must be true or false, not a string",
                p + ":4:16: 'max_restarts' must be an integer, not a float",
                p + ":5:15: 'depends_on' must contain only strings, not an integer",
                p + ":6:8: 'user' must be a string, not a boolean",
                p + ":7:8: 'type' must be \"longrun\" or \"oneshot\", not \"daemon\"",
                p + ":8:11: 'restart' must be \"no\", \"on-failure\" or \"always\", not \"sometimes\"",
                p + ":9:7: 'log' must be a table, not a string",
                p + ":10:21: 'environment.X' must be a string, number or boolean, not an array",
            }),
            ErrorsOf("command = 1\nstop_grace_period = [5]\nenabled = 'yes'\nmax_restarts = 1.5\n"
                     "depends_on = [2]\nuser = true\ntype = 'daemon'\nrestart = 'sometimes'\n"
                     "log = 'x'\nenvironment = { X = [1] }\n"));
}

TEST_F(ConfigLoad, BadDurationsAndSizesUseTheParserMessages) {
  std::string p = P("web");
  EXPECT_EQ((Errors{p + ":2:21: stop_grace_period: invalid duration '5x': unknown unit 'x' (use ms, s, m or h)"}),
            ErrorsOf("command = 'x'\nstop_grace_period = '5x'\n"));
  Service("web", "command = 'x'");
  Global("[log]\nmax_line = 'big'\n");
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{G() + ":2:12: log.max_line: invalid size 'big' (expected e.g. \"64KiB\", \"16MiB\", \"1GiB\")"},
            errors_);
}

TEST_F(ConfigLoad, UnknownSignal) {
  EXPECT_EQ(Errors{P("web") + ":2:15: unknown signal 'SIGFOO'"}, ErrorsOf("command = 'x'\nstop_signal = 'SIGFOO'\n"));
  EXPECT_EQ(Errors{P("web") + ":2:15: unknown signal '99'"}, ErrorsOf("command = 'x'\nstop_signal = 99\n"));
}

TEST_F(ConfigLoad, MissingCommand) {
  EXPECT_EQ(Errors{P("web") + ":1:1: missing 'command'"}, ErrorsOf("type = 'longrun'\n"));
  EXPECT_EQ(Errors{P("web") + ":1:11: 'command' must not be empty"}, ErrorsOf("command = []\n"));
  EXPECT_EQ(Errors{P("web") + ":1:11: 'command' must not be empty"}, ErrorsOf("command = '  '\n"));
}

TEST_F(ConfigLoad, OtherValueChecks) {
  std::string p = P("web");
  EXPECT_EQ((Errors{
                p + ":2:15: 'working_dir' must be an absolute path, not \"srv\"",
                p + ":3:9: 'umask' must be an octal string like \"022\", not \"0999\"",
                p + ":4:17: 'restart_delay' (1m) is longer than 'restart_delay_max' (30s)",
                p + ":5:13: 'kill_mode' must be \"group\" or \"process\", not \"all\"",
            }),
            ErrorsOf("command = 'x'\nworking_dir = 'srv'\numask = '0999'\n"
                     "restart_delay = '1m'\nkill_mode = 'all'\n"));
}

TEST_F(ConfigLoad, UmaskIntegerIsRefusedAsAmbiguous) {
  // 22 or 0o22? A string says which; an integer would be read wrong by half
  // of the readers.
  EXPECT_EQ(Errors{P("web") + ":2:9: 'umask' must be an octal string like \"022\", not an integer"},
            ErrorsOf("command = 'x'\numask = 22\n"));
}

TEST_F(ConfigLoad, OneshotCannotRestartAlwaysOrHaveReady) {
  std::string p = P("web");
  EXPECT_EQ((Errors{
                p + ":3:11: a oneshot cannot have restart = \"always\" (it would run forever)",
                p + ":4:1: a oneshot cannot have [ready]: it is ready when it exits with 0",
            }),
            ErrorsOf("command = 'x'\ntype = 'oneshot'\nrestart = 'always'\n[ready]\nfile = '/x'\n"));
}

TEST_F(ConfigLoad, UnknownServiceInDependsOnSuggestsNearest) {
  Service("db", "command = 'db'");
  EXPECT_EQ(Errors{P("web") + ":2:21: unknown service 'dbb' in depends_on (did you mean 'db'?)"},
            ErrorsOf("command = 'x'\ndepends_on = ['db', 'dbb']\n"));
}

TEST_F(ConfigLoad, SelfDependency) {
  EXPECT_EQ(Errors{P("web") + ":2:15: 'web' depends on itself"}, ErrorsOf("command = 'x'\ndepends_on = ['web']\n"));
}

TEST_F(ConfigLoad, DependencyOnDisabledServiceIsAnError) {
  Service("db", "command = 'db'\nenabled = false");
  EXPECT_EQ(Errors{P("web") + ":2:15: 'web' depends on 'db', which has enabled = false"},
            ErrorsOf("command = 'x'\ndepends_on = ['db']\n"));
  // A disabled service may depend on another disabled one.
  Service("web", "command = 'x'\ndepends_on = ['db']\nenabled = false");
  EXPECT_TRUE(Load()) << ::testing::PrintToString(errors_);
}

TEST_F(ConfigLoad, CycleIsReportedAtTheFirstServicesFile) {
  Service("c", "command = 'x'\ndepends_on = ['a']");
  Service("b", "command = 'x'\ndepends_on = ['c']");
  Service("a", "command = 'x'\ndepends_on = ['b']");
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("a") + ":1:1: dependency cycle: a -> b -> c -> a"}, errors_);
}

TEST_F(ConfigLoad, DependencyOnAFileThatFailedToParseIsNotCalledUnknown) {
  Service("db", "command = \n");
  EXPECT_EQ(Errors{P("db") + ":1:11: Error while parsing key-value pair: expected value, saw '\\n'"},
            ErrorsOf("command = 'x'\ndepends_on = ['db']\n"));
}

TEST_F(ConfigLoad, EveryErrorOfEveryFileIsReportedInFileThenSourceOrder) {
  Global("grace = 'soon'\n");
  Service("a", "command = 'x'\nstop_signal = 'NOPE'\nzzz = 1\n");
  Service("b", "command = \n");
  Service("c", "enabled = 'no'\nrestart = 'never'\n");
  EXPECT_FALSE(Load());
  EXPECT_EQ((Errors{
                G() + ":1:9: grace: invalid duration 'soon' (expected e.g. \"250ms\", \"5s\", \"2m\")",
                P("a") + ":2:15: unknown signal 'NOPE'",
                P("a") + ":3:1: unknown key 'zzz'",
                P("b") + ":1:11: Error while parsing key-value pair: expected value, saw '\\n'",
                P("c") + ":1:1: missing 'command'",
                P("c") + ":1:11: 'enabled' must be true or false, not a string",
                P("c") + ":2:11: 'restart' must be \"no\", \"on-failure\" or \"always\", not \"never\"",
            }),
            errors_);
}

// ---- users and groups -----------------------------------------------------

TEST_F(ConfigLoad, UserAndGroupComeFromTheImagesFiles) {
  Service("web", "command = 'x'\nuser = 'app'\ngroup = 'docker'");
  const Identity& id = Loaded("web").identity;
  EXPECT_TRUE(id.set);
  EXPECT_EQ(1000u, id.uid);
  EXPECT_EQ(999u, id.gid);
  EXPECT_EQ("app", id.name);
  EXPECT_EQ("/home/app", id.home);
  Service("web", "command = 'x'\nuser = '1000:33'");
  EXPECT_EQ(33u, Loaded("web").identity.gid);
}

TEST_F(ConfigLoad, UnknownUserAndGroupNameTheFileToFix) {
  EXPECT_EQ(Errors{P("web") + ":2:8: unknown user 'www' (not in " + dir_ + "/etc/passwd)"},
            ErrorsOf("command = 'x'\nuser = 'www'\n"));
  EXPECT_EQ(Errors{P("web") + ":3:9: unknown group 'wheel' (not in " + dir_ + "/etc/group)"},
            ErrorsOf("command = 'x'\nuser = 'app'\ngroup = 'wheel'\n"));
}

TEST_F(ConfigLoad, UserStewardCannotSwitchToIsAnErrorNamingTheReasonAndFix) {
  Privileges self;
  self.known = true;
  self.uid = 1000;
  self.gid = 1000;
  self.can_setuid = self.can_setgid = false;
  req_.self = &self;
  EXPECT_EQ(Errors{P("web") + ":2:8: steward runs as uid 1000; user = \"www-data\" needs root (or "
                              "CAP_SETUID and CAP_SETGID): run the container as root (the service "
                              "still runs as its user), or remove it to run the service as "
                              "steward's own user"},
            ErrorsOf("command = 'x'\nuser = 'www-data'\n"));
  EXPECT_EQ(Errors{P("web") + ":3:9: steward runs as uid 1000 and gid 1000; user = \"app\", "
                              "group = \"docker\" needs root (or CAP_SETUID and CAP_SETGID): run "
                              "the container as root (the service still runs as its user), or "
                              "remove it to run the service as steward's own user"},
            ErrorsOf("command = 'x'\nuser = 'app'\ngroup = 'docker'\n"));
  // steward's own user, by name or number: nothing to switch.
  Service("web", "command = 'x'\nuser = 'app'");
  EXPECT_EQ(1000u, Loaded("web").identity.uid);
  Service("web", "command = 'x'\nuser = '1000:1000'");
  EXPECT_EQ(1000u, Loaded("web").identity.uid);
  // Root without the capabilities (docker run --cap-drop SETUID).
  self.uid = self.gid = 0;
  EXPECT_EQ(Errors{P("web") + ":2:8: steward runs as root without CAP_SETUID and CAP_SETGID; "
                              "user = \"app\" needs them: add them back (docker run --cap-add "
                              "SETUID --cap-add SETGID), or remove it to run the service as root"},
            ErrorsOf("command = 'x'\nuser = 'app'\n"));
  self.can_setuid = self.can_setgid = true;
  Service("web", "command = 'x'\nuser = 'app'");
  EXPECT_EQ(1000u, Loaded("web").identity.uid);
}

// ---- the main program -----------------------------------------------------

TEST_F(ConfigLoad, ProgramBecomesMainThatDependsOnEveryEnabledService) {
  Service("web", "command = 'x'");
  Service("db", "command = 'x'");
  Service("old", "command = 'x'\nenabled = false");
  req_.program = {"php", "artisan", "serve"};
  const ServiceConfig& m = Loaded("main");
  EXPECT_EQ((std::vector<std::string>{"php", "artisan", "serve"}), m.command.argv);
  EXPECT_FALSE(m.command.shell);
  EXPECT_TRUE(m.main);
  EXPECT_TRUE(m.from_command_line);
  EXPECT_EQ(RestartPolicy::kNo, m.restart);
  EXPECT_EQ("", m.path);
  EXPECT_EQ((std::vector<std::string>{"db", "web"}), m.depends_on);
  char cwd[4096];
  EXPECT_EQ(std::string(getcwd(cwd, sizeof cwd)), m.working_dir);
  ASSERT_EQ(4u, config_.services.size());
  EXPECT_EQ("main", config_.services[1].name);  // sorted with the others
  EXPECT_EQ((std::vector<std::vector<std::string>>{{"db", "web"}, {"main"}}), StartWaves(BuildDepMap(config_)));
}

TEST_F(ConfigLoad, ProgramAloneIsNotServices) {
  req_.program = {"sleep", "1"};
  ASSERT_TRUE(Load());
  EXPECT_FALSE(config_.HasServices());
  EXPECT_NE(nullptr, config_.Find("main"));
}

TEST_F(ConfigLoad, ProgramAndAMainServiceIsAnError) {
  req_.program = {"sleep", "1"};
  EXPECT_EQ(Errors{P("web") + ":2:8: PROGRAM given on the command line and service 'web' has main = true"},
            ErrorsOf("command = 'x'\nmain = true\n"));
}

TEST_F(ConfigLoad, TwoMainServicesIsAnErrorAtTheSecond) {
  Service("a", "command = 'x'\nmain = true");
  Service("b", "command = 'x'\nmain = true");
  Service("c", "command = 'x'\nmain = true\nenabled = false");
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("b") + ":2:8: only one service can have main = true, and 'a' has it too"}, errors_);
}

TEST_F(ConfigLoad, MainTomlWithProgramIsAnError) {
  Service("main", "command = 'x'");
  req_.program = {"sleep", "1"};
  EXPECT_FALSE(Load());
  EXPECT_EQ(Errors{P("main") + ":1:1: the name 'main' belongs to PROGRAM given on the command line; "
                               "rename main.toml"},
            errors_);
}

TEST_F(ConfigLoad, DependingOnTheCommandLineMainIsAnError) {
  req_.program = {"sleep", "1"};
  EXPECT_EQ(Errors{P("web") + ":2:15: 'web' depends on 'main', which is PROGRAM from the command line and "
                              "starts after every service"},
            ErrorsOf("command = 'x'\ndepends_on = ['main']\n"));
}

}  // namespace
}  // namespace steward
