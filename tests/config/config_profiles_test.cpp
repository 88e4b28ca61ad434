// LoadConfig: profiles and interpolation (SPEC §7).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "config_load_fixture.hpp"
#include "steward/config/check.hpp"
#include "steward/config/config.hpp"
#include "steward/config/graph.hpp"

namespace steward {
namespace {

using testing_config::ConfigLoad;
using testing_config::Errors;

// ---- profiles (SPEC §7) ---------------------------------------------------

const char kProfiled[] = R"(command = ["app", "--prod"]
environment = { LEVEL = "info", KEEP = "yes" }

[profile.dev]
command = ["app", "--dev"]
environment = { LEVEL = "debug" }

[profile.prod]
enabled = false

[profile.debug]
environment = { LEVEL = "trace" }
)";
TEST_F(ConfigLoad, WithoutProfileTheTopLevelApplies) {
  Service("web", kProfiled);
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"app", "--prod"}), s.command.argv);
  EXPECT_TRUE(s.enabled);
}

TEST_F(ConfigLoad, DevProfileOverridesCommandAndMergesTables) {
  Service("web", kProfiled);
  req_.profile = "dev";
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"app", "--dev"}), s.command.argv);
  EXPECT_EQ((std::vector<std::pair<std::string, std::string>>{{"LEVEL", "debug"}, {"KEEP", "yes"}}),
            s.environment);
}

TEST_F(ConfigLoad, ProdProfileDisablesTheService) {
  Service("web", kProfiled);
  req_.profile = "prod";
  EXPECT_FALSE(Loaded("web").enabled);
}

TEST_F(ConfigLoad, ProfilesApplyInTheOrderGiven) {
  Service("web", kProfiled);
  req_.profile = "dev, debug";
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"app", "--dev"}), s.command.argv);
  EXPECT_EQ("trace", s.environment[0].second);
  req_.profile = "debug,dev";
  EXPECT_EQ("debug", Loaded("web").environment[0].second);
}

TEST_F(ConfigLoad, ProfileAFileDoesNotHaveIsFine) {
  Service("web", kProfiled);
  Service("db", "command = 'db'");
  req_.profile = "dev";
  EXPECT_EQ((std::vector<std::string>{"app", "--dev"}), Loaded("web").command.argv);
  EXPECT_EQ(Errors{}, config_.warnings);
  EXPECT_EQ("dev", config_.profile);
}

// A misspelt STEWARD_PROFILE is said, not silently ignored.
TEST_F(ConfigLoad, AProfileNoFileHasIsAWarningNamingTheDefinedOnes) {
  Service("web", kProfiled);
  Global("[profile.ci]\nshutdown_timeout = '1s'\n");
  req_.profile = "prdo";
  EXPECT_EQ((std::vector<std::string>{"app", "--prod"}), Loaded("web").command.argv);
  EXPECT_EQ(Errors{"STEWARD_PROFILE=prdo: no file has a [profile.prdo] table (profiles defined: "
                   "ci, debug, dev, prod)"},
            config_.warnings);
  req_.profile = "dev,stagng";
  Loaded("web");
  EXPECT_EQ(Errors{"STEWARD_PROFILE=dev,stagng: no file has a [profile.stagng] table (profiles "
                   "defined: ci, debug, dev, prod)"},
            config_.warnings);
}

TEST_F(ConfigLoad, CheckNamesTheActiveProfile) {
  Service("web", kProfiled);
  req_.profile = "dev";
  Loaded("web");
  EXPECT_NE(std::string::npos, CheckText(config_).find("\nprofile: dev\n")) << CheckText(config_);
  req_.profile = "";
  Loaded("web");
  EXPECT_EQ(std::string::npos, CheckText(config_).find("profile:")) << CheckText(config_);
}

TEST_F(ConfigLoad, AProfileWhenNoFileDefinesAnyIsAWarning) {
  Service("db", "command = 'db'");
  req_.profile = "prod";
  Loaded("db");
  EXPECT_EQ(Errors{"STEWARD_PROFILE=prod: no file has a [profile.prod] table (no file defines a "
                   "profile)"},
            config_.warnings);
  req_.profile = "";
  Loaded("db");
  EXPECT_EQ(Errors{}, config_.warnings);
}

TEST_F(ConfigLoad, ErrorInAProfilePointsIntoTheProfile) {
  req_.profile = "dev";
  EXPECT_EQ((Errors{P("web") + ":4:21: stop_grace_period: invalid duration 'soon' (expected e.g. \"250ms\", "
                               "\"5s\", \"2m\")",
                    P("web") + ":5:1: unknown key 'comand' (did you mean 'command'?)"}),
            ErrorsOf("command = 'x'\n\n[profile.dev]\nstop_grace_period = 'soon'\ncomand = 'y'\n"));
}

TEST_F(ConfigLoad, ProfileMustBeTables) {
  EXPECT_EQ(Errors{P("web") + ":2:11: 'profile' must be a table of [profile.NAME] tables, not a string"},
            ErrorsOf("command = 'x'\nprofile = 'dev'\n"));
  EXPECT_EQ(Errors{P("web") + ":2:15: 'profile.dev' must be a table, not an integer"},
            ErrorsOf("command = 'x'\nprofile.dev = 1\n"));
}

TEST_F(ConfigLoad, GlobalFileHasProfilesToo) {
  Global("shutdown_timeout = '9s'\n[profile.ci]\nshutdown_timeout = '1s'\n");
  req_.profile = "ci";
  ASSERT_TRUE(Load()) << ::testing::PrintToString(errors_);
  EXPECT_EQ(Duration(1000), config_.global.shutdown_timeout);
}

// ---- interpolation (SPEC §7) ----------------------------------------------

TEST_F(ConfigLoad, EveryStringIsInterpolated) {
  req_.env = {{"APP_ENV", "staging"}, {"PORT", "8080"}, {"USER_NAME", "app"}};
  Service("web", R"(
command = ["serve", "--port", "${PORT}", "--cost", "$$5"]
user = "$USER_NAME"
environment = { APP_ENV = "${APP_ENV:-prod}", REGION = "${REGION:-eu}" }
[ready]
tcp = "127.0.0.1:${PORT}"
)");
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"serve", "--port", "8080", "--cost", "$5"}), s.command.argv);
  EXPECT_EQ(1000u, s.identity.uid);
  EXPECT_EQ((std::vector<std::pair<std::string, std::string>>{{"APP_ENV", "staging"}, {"REGION", "eu"}}),
            s.environment);
  EXPECT_EQ(8080, s.ready.port);
}

// PID 1 passes environ itself; it is read (and wins over env) only when a
// string is interpolated.
TEST_F(ConfigLoad, EnvironVarsAreUsedInsteadOfTheMap) {
  const char* vars[] = {"PORT=9090", "NOEQUALS", "EMPTY=", "EQ=a=b", nullptr};
  req_.environ_vars = vars;
  req_.env = {{"PORT", "8080"}};
  Service("web", "command = ['serve', '${PORT}', '${EMPTY-unset}', '$EQ', '${NOEQUALS:-none}']\n");
  EXPECT_EQ((std::vector<std::string>{"serve", "9090", "", "a=b", "none"}),
            Loaded("web").command.argv);
}

TEST(EnvironmentFrom, SplitsAtTheFirstEqualsAndSkipsEntriesWithout) {
  const char* vars[] = {"A=1", "B==2", "C", "=x", "D=", nullptr};
  EXPECT_EQ((std::map<std::string, std::string>{{"A", "1"}, {"B", "=2"}, {"", "x"}, {"D", ""}}),
            EnvironmentFrom(vars));
  EXPECT_TRUE(EnvironmentFrom(nullptr).empty());
}

TEST_F(ConfigLoad, UnsetVariableIsAnErrorAtItsValueAndOnlyThere) {
  std::string p = P("web");
  EXPECT_EQ((Errors{
                p + ":1:21: variable 'GRACE' is not set (use ${GRACE:-default} for a default)",
                p + ":2:24: variable 'DB' is not set or empty: set DB to the database URL",
            }),
            ErrorsOf("stop_grace_period = '${GRACE}'\ncommand = ['app', 'x', '${DB:?set DB to the database URL}']\n"));
}

// --check --allow-unset: what only the running container sets is a warning
// at its position; a mistake in the text is still an error.
TEST_F(ConfigLoad, AllowUnsetMakesUnsetVariablesWarningsAtTheirPlace) {
  req_.allow_unset = true;
  req_.env = {{"PORT", "8080"}};
  std::string p = P("web");
  Service("web", "stop_grace_period = '${GRACE}'\n"
                 "command = ['app', '${PORT}', '${DB:?set DB to the database URL}']\n"
                 "user = '${RUN_AS}'\n");
  const ServiceConfig& s = Loaded("web");
  EXPECT_EQ((std::vector<std::string>{"app", "8080", "${DB:?set DB to the database URL}"}),
            s.command.argv);
  EXPECT_EQ((Errors{
                p + ":1:21: variable 'GRACE' is not set (use ${GRACE:-default} for a default)",
                p + ":2:30: variable 'DB' is not set or empty: set DB to the database URL",
                p + ":3:8: variable 'RUN_AS' is not set (use ${RUN_AS:-default} for a default)",
            }),
            config_.warnings);
  EXPECT_EQ((Errors{p + ":1:11: invalid '$' in \"a $1\" (write '$$' for a literal '$')"}),
            ErrorsOf("command = 'a $1'\nuser = '${RUN_AS}'\n"));
}

TEST_F(ConfigLoad, InterpolationHappensAfterTheProfileMerge) {
  req_.profile = "dev";
  req_.env = {{"DEV_CMD", "watch"}};
  Service("web", "command = '${PROD_CMD}'\n[profile.dev]\ncommand = '${DEV_CMD}'\n");
  EXPECT_EQ("watch", Loaded("web").command.argv[2]);
}

// ---- the global file --------------------------------------------------------

}  // namespace
}  // namespace steward
