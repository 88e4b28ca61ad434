#include "steward/config/options.hpp"

#include <stdio.h>

#include <gtest/gtest.h>

#include <map>

namespace steward {
namespace {

struct Parsed {
  bool ok;
  Options o;
  std::string err;
};

Parsed Parse(std::vector<std::string> argv, std::map<std::string, std::string> env = {}) {
  Parsed p;
  p.ok = ParseOptions(argv, [&](const char* k) -> const char* {
    auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  }, &p.o, &p.err);
  return p;
}

using V = std::vector<std::string>;

TEST(Options, ProgramStartsAtFirstNonOption) {
  Parsed p = Parse({"steward", "-v", "sleep", "-v", "10"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ((V{"sleep", "-v", "10"}), p.o.program);
  EXPECT_EQ(2, p.o.verbosity);
}

TEST(Options, DoubleDashEndsOptions) {
  Parsed p = Parse({"steward", "--", "-h"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(Options::Mode::kInit, p.o.mode);
  EXPECT_EQ((V{"-h"}), p.o.program);
}

TEST(Options, TiniFlags) {
  Parsed p = Parse({"steward", "-s", "-g", "-w", "-e", "143", "-e3", "-p", "SIGKILL", "--", "x"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(KillMode::kGroup, p.o.kill_mode);
  EXPECT_TRUE(p.o.log_orphans);
  EXPECT_EQ((std::vector<int>{143, 3}), p.o.remap_exit);
  EXPECT_EQ(SIGKILL, p.o.pdeathsig);
  EXPECT_EQ((V{"x"}), p.o.program);
}

TEST(Options, ClusteredShortFlags) {
  Parsed p = Parse({"steward", "-sgw", "x"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_TRUE(p.o.log_orphans);
  EXPECT_EQ(KillMode::kGroup, p.o.kill_mode);
}

TEST(Options, LongOptionsWithAndWithoutEquals) {
  Parsed p = Parse({"steward", "--services=/s", "--config", "/c.toml", "--runtime-dir", "/r",
                    "--shutdown-timeout", "3s", "--grace=500ms", "--kill-mode", "process",
                    "--remap-exit=2", "--pdeathsig", "TERM", "prog"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ("/s", *p.o.services_dir);
  EXPECT_EQ("/c.toml", *p.o.config_file);
  EXPECT_EQ("/r", *p.o.runtime_dir);
  EXPECT_EQ(Duration(3000), *p.o.shutdown_timeout);
  EXPECT_EQ(Duration(500), *p.o.grace);
  EXPECT_EQ(KillMode::kProcess, *p.o.kill_mode);
  EXPECT_EQ((std::vector<int>{2}), p.o.remap_exit);
  EXPECT_EQ(SIGTERM, p.o.pdeathsig);
}

TEST(Options, EnvironmentDefaultsAndOptionWins) {
  std::map<std::string, std::string> env = {
      {"STEWARD_SERVICES", "/env/s"}, {"STEWARD_GRACE", "7s"},
      {"STEWARD_KILL_MODE", "process"}, {"STEWARD_VERBOSITY", "3"},
      {"STEWARD_SHUTDOWN_TIMEOUT", "1m"}, {"STEWARD_CONFIG", "/env/c"},
      {"STEWARD_RUNTIME_DIR", "/env/r"}};
  Parsed p = Parse({"steward", "--grace", "1s", "x"}, env);
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ("/env/s", *p.o.services_dir);
  EXPECT_EQ("/env/c", *p.o.config_file);
  EXPECT_EQ("/env/r", *p.o.runtime_dir);
  EXPECT_EQ(Duration(1000), *p.o.grace);
  EXPECT_EQ(Duration(60000), *p.o.shutdown_timeout);
  EXPECT_EQ(KillMode::kProcess, *p.o.kill_mode);
  EXPECT_EQ(3, p.o.verbosity);
}

TEST(Options, TiniKillProcessGroupEnv) {
  Parsed p = Parse({"steward", "x"}, {{"TINI_KILL_PROCESS_GROUP", "1"}, {"TINI_SUBREAPER", "1"}});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(KillMode::kGroup, *p.o.kill_mode);
}

TEST(Options, HelpVersionCheck) {
  EXPECT_EQ(Options::Mode::kHelp, Parse({"steward", "-h"}).o.mode);
  EXPECT_EQ(Options::Mode::kHelp, Parse({"steward", "--help"}).o.mode);
  EXPECT_EQ(Options::Mode::kVersion, Parse({"steward", "--version"}).o.mode);
  Parsed p = Parse({"steward", "--check", "--", "prog", "a"});
  EXPECT_EQ(Options::Mode::kCheck, p.o.mode);
  EXPECT_EQ((V{"prog", "a"}), p.o.program);
}

TEST(Options, QuietLowersVerbosity) {
  EXPECT_EQ(0, Parse({"steward", "-q", "x"}).o.verbosity);
  EXPECT_EQ(0, Parse({"steward", "-qq", "x"}).o.verbosity);
  EXPECT_EQ(3, Parse({"steward", "-vvvv", "x"}).o.verbosity);
}

TEST(Options, DumbInitsVerboseIsV) {
  Parsed p = Parse({"steward", "--verbose", "x"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_EQ(2, p.o.verbosity);
  EXPECT_EQ((V{"x"}), p.o.program);
  EXPECT_EQ(3, Parse({"steward", "--verbose", "-v", "x"}).o.verbosity);
  p = Parse({"steward", "--verbose=2", "x"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ("option '--verbose' takes no value", p.err);
}

TEST(Options, AllowUnsetGoesWithCheck) {
  Parsed p = Parse({"steward", "--check", "--allow-unset"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_TRUE(p.o.allow_unset);
  EXPECT_FALSE(Parse({"steward", "--check"}).o.allow_unset);
  p = Parse({"steward", "--allow-unset", "--check"});
  ASSERT_TRUE(p.ok) << p.err;
  EXPECT_TRUE(p.o.allow_unset);
  p = Parse({"steward", "--allow-unset", "x"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ("--allow-unset goes with --check (a running steward needs every variable it uses)",
            p.err);
}

TEST(Options, CtlOnlyAsFirstArgument) {
  Parsed p = Parse({"steward", "ctl", "status", "--json"});
  EXPECT_EQ(Options::Mode::kCtl, p.o.mode);
  EXPECT_EQ((V{"status", "--json"}), p.o.ctl_args);
  p = Parse({"/usr/sbin/stewardctl", "reload"});
  EXPECT_EQ(Options::Mode::kCtl, p.o.mode);
  EXPECT_EQ((V{"reload"}), p.o.ctl_args);
  p = Parse({"steward", "--", "ctl"});
  EXPECT_EQ(Options::Mode::kInit, p.o.mode);
  EXPECT_EQ((V{"ctl"}), p.o.program);
}

TEST(Options, UsageErrors) {
  struct Case {
    V argv;
    std::map<std::string, std::string> env;
    const char* err;
  } cases[] = {
      {{"steward", "--bogus"}, {}, "unknown option '--bogus' (see steward --help)"},
      {{"steward", "-x"}, {}, "unknown option '-x' (see steward --help)"},
      {{"steward", "--grace"}, {}, "option '--grace' needs a value"},
      {{"steward", "-e"}, {}, "option '-e' needs a value"},
      {{"steward", "-e", "256", "x"}, {}, "-e: invalid exit code '256' (use 0 to 255)"},
      {{"steward", "-p", "SIGNOPE", "x"}, {}, "-p: unknown signal 'SIGNOPE'"},
      {{"steward", "--kill-mode", "all"}, {}, "--kill-mode: invalid kill mode 'all' (use group or process)"},
      {{"steward", "--grace", "soon"}, {}, "--grace: invalid duration 'soon' (expected e.g. \"250ms\", \"5s\", \"2m\")"},
      {{"steward", "--help=yes"}, {}, "option '--help' takes no value"},
      {{"steward", "x"}, {{"STEWARD_VERBOSITY", "9"}}, "STEWARD_VERBOSITY: invalid verbosity '9' (use 0 to 3)"},
      {{"steward", "x"}, {{"STEWARD_GRACE", "x"}}, "STEWARD_GRACE: invalid duration 'x' (expected e.g. \"250ms\", \"5s\", \"2m\")"},
  };
  for (const Case& c : cases) {
    Parsed p = Parse(c.argv, c.env);
    EXPECT_FALSE(p.ok) << c.err;
    EXPECT_EQ(c.err, p.err);
  }
}

TEST(Options, TiniVerbosityMapsAndStewardVerbosityWins) {
  EXPECT_EQ(0, Parse({"steward", "x"}, {{"TINI_VERBOSITY", "0"}}).o.verbosity);
  EXPECT_EQ(2, Parse({"steward", "x"}, {{"TINI_VERBOSITY", "2"}}).o.verbosity);
  EXPECT_EQ(3, Parse({"steward", "x"}, {{"TINI_VERBOSITY", "4"}}).o.verbosity);  // tini's trace
  EXPECT_EQ(1, Parse({"steward", "x"}, {{"TINI_VERBOSITY", "3"}, {"STEWARD_VERBOSITY", "1"}})
                   .o.verbosity);
  EXPECT_EQ(3, Parse({"steward", "-v", "x"}, {{"TINI_VERBOSITY", "2"}}).o.verbosity);
  Parsed p = Parse({"steward", "x"}, {{"TINI_VERBOSITY", "loud"}});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ("TINI_VERBOSITY: invalid verbosity 'loud' (use 0 to 3)", p.err);
}

TEST(Options, LicenseIsTheRepositorysLicenseFile) {
  EXPECT_EQ(Options::Mode::kLicense, Parse({"steward", "-l"}).o.mode);
  FILE* f = fopen(STEWARD_SOURCE_DIR "/LICENSE", "r");
  ASSERT_NE(nullptr, f);
  std::string text;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  fclose(f);
  EXPECT_EQ(text, LicenseText());
}

TEST(Options, VersionIsWhatDockerParsesFromItsInit) {
  // Docker splits on " - ": "tini version " + version, then "git." + commit.
  std::string v = VersionText();
  std::string want = std::string("tini version ") + STEWARD_VERSION + "_steward - git." +
                     STEWARD_COMMIT + " - steward " + STEWARD_VERSION + " (";
  EXPECT_EQ(want, v.substr(0, want.size()));
  EXPECT_EQ(std::string::npos, v.find('\n'));
}

TEST(Options, HelpMentionsEveryOption) {
  std::string help = HelpText();
  for (const char* opt : {"--services", "--config", "--runtime-dir", "--shutdown-timeout",
                          "--grace", "--kill-mode", "--remap-exit", "--pdeathsig", "-s", "-g",
                          "-w", "-v", "--verbose", "-q", "--check", "--allow-unset", "--version", "--help", "STEWARD_SERVICES",
                          "STEWARD_CONFIG", "STEWARD_RUNTIME_DIR", "STEWARD_SHUTDOWN_TIMEOUT",
                          "STEWARD_GRACE", "STEWARD_KILL_MODE", "STEWARD_VERBOSITY",
                          "TINI_KILL_PROCESS_GROUP", "TINI_VERBOSITY", "-l"}) {
    EXPECT_NE(std::string::npos, help.find(opt)) << opt;
  }
}

}  // namespace
}  // namespace steward
