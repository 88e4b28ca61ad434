#include "steward/tools/supervisord.hpp"

#include <gtest/gtest.h>

#include <toml++/toml.h>

namespace steward::tools {
namespace {

using V = std::vector<std::string>;

std::vector<IniSection> Ini(const std::string& text, std::vector<std::string>* errors = nullptr) {
  std::vector<IniSection> s;
  std::vector<std::string> e;
  ParseIni(text, "/etc/supervisord.conf", &s, errors ? errors : &e);
  return s;
}

TEST(SupervisordIni, SectionsCommentsContinuations) {
  auto s = Ini("; comment\n[program:web]\ncommand = nginx -g 'daemon off;'  ; inline\n"
               "Environment: A=1,\n  B=2\n\n# hash comment\n[include]\nfiles=a.conf\n");
  ASSERT_EQ(2u, s.size());
  EXPECT_EQ("program:web", s[0].name);
  EXPECT_EQ("/etc/supervisord.conf:2", s[0].where);
  EXPECT_EQ("/etc", s[0].here);
  ASSERT_EQ(2u, s[0].entries.size());
  EXPECT_EQ("nginx -g 'daemon off;'", s[0].entries[0].value);
  EXPECT_EQ("environment", s[0].entries[1].key);
  EXPECT_EQ("A=1,\nB=2", s[0].entries[1].value);
  EXPECT_EQ("/etc/supervisord.conf:4", s[0].entries[1].where);
}

TEST(SupervisordIni, ErrorsArePositioned) {
  std::vector<std::string> errors;
  Ini("command=x\n[program:a\n[program:b]\njust words\n", &errors);
  EXPECT_EQ((V{"/etc/supervisord.conf:1: key before any [section]",
               "/etc/supervisord.conf:2: section header without ']'",
               "/etc/supervisord.conf:4: 'just words' is not KEY = VALUE"}),
            errors);
}

TEST(SupervisordExpand, SupervisordNamesToStewardInterpolation) {
  ExpandContext c;
  c.program_name = "worker";
  c.group_name = "queue";
  c.here = "/etc/supervisor";
  c.process_num = 3;
  std::string out, err;
  ASSERT_TRUE(Expand("%(ENV_HOME)s/%(program_name)s_%(process_num)02d %(group_name)s %(here)s "
                     "%(host_node_name)s 100%% $PATH",
                     c, &out, &err))
      << err;
  EXPECT_EQ("${HOME}/worker_03 queue /etc/supervisor ${HOSTNAME} 100% $$PATH", out);
  EXPECT_FALSE(Expand("%(nope)s", c, &out, &err));
  EXPECT_EQ("unknown expansion %(nope)s", err);
  EXPECT_FALSE(Expand("50% off", c, &out, &err));
  EXPECT_EQ("'%' must start %(name)s or be written %% (in '50% off')", err);
}

TEST(SupervisordCommand, ShlexSplitting) {
  V argv;
  std::string err;
  ASSERT_TRUE(SplitCommand(R"(nginx -g 'daemon off;' --x="a \"b\" c" d\ e)", &argv, &err));
  EXPECT_EQ((V{"nginx", "-g", "daemon off;", "--x=a \"b\" c", "d e"}), argv);
  ASSERT_TRUE(SplitCommand("redis-server --save \"\"", &argv, &err));
  EXPECT_EQ((V{"redis-server", "--save", ""}), argv);
  EXPECT_FALSE(SplitCommand("sh -c 'oops", &argv, &err));
  EXPECT_EQ("unclosed ' in the command", err);
}

TEST(SupervisordEnvironment, PairsQuotedAndBare) {
  std::vector<std::pair<std::string, std::string>> env;
  std::string err;
  ASSERT_TRUE(ParseEnvironment("A=\"x, y\",B=plain, C='q'", &env, &err)) << err;
  ASSERT_EQ(3u, env.size());
  EXPECT_EQ(std::make_pair(std::string("A"), std::string("x, y")), env[0]);
  EXPECT_EQ(std::make_pair(std::string("B"), std::string("plain")), env[1]);
  EXPECT_EQ(std::make_pair(std::string("C"), std::string("q")), env[2]);
  EXPECT_FALSE(ParseEnvironment("A=\"open", &env, &err));
  EXPECT_EQ("unclosed \" in the value of A", err);
}

TEST(SupervisordConvert, KeysPriorityChainAndNotes) {
  auto s = Ini(
      "[supervisord]\nnodaemon=true\n"
      "[program:db]\ncommand=postgres -D /data\npriority=1\nstopsignal=INT\nstopwaitsecs=60\n"
      "user=postgres\nautorestart=true\n"
      "[program:Web App]\ncommand=gunicorn app\npriority=5\ndirectory=/srv\nstartretries=7\n"
      "autorestart=false\nstartsecs=3\nbogus=1\n"
      "[program:w]\ncommand=php worker\nprocess_name=%(program_name)s-%(process_num)d\nnumprocs=2\n"
      "priority=5\nautostart=false\n"
      "[eventlistener:mail]\ncommand=crashmail\n");
  ImportResult r = ConvertSupervisord(s, "sv.conf");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ(5u, r.files.size());
  EXPECT_EQ("db.toml", r.files[0].name);
  EXPECT_EQ(
      "# Imported from [program:db] (/etc/supervisord.conf:3) by `steward import supervisord "
      "sv.conf`.\n"
      "command = [\"postgres\", \"-D\", \"/data\"]\n"
      "stop_signal = \"SIGINT\"\n"
      "stop_grace_period = \"60s\"  # stopwaitsecs\n"
      "user = \"postgres\"\n"
      "restart = \"always\"\n"
      "max_restarts = 3  # supervisord's default startretries\n",
      r.files[0].text);
  EXPECT_EQ("web-app.toml", r.files[1].name);
  EXPECT_EQ(
      "# Imported from [program:Web App] (/etc/supervisord.conf:10) by `steward import "
      "supervisord sv.conf`.\n"
      "depends_on = [\"db\"]  # priority 5 starts after priority 1\n"
      "# supervisord name: Web App\n"
      "command = [\"gunicorn\", \"app\"]\n"
      "working_dir = \"/srv\"\n"
      "max_restarts = 7  # startretries\n"
      "restart = \"no\"\n"
      "# supervisord: startsecs = 3  (steward has no minimum run time; a start fails when the "
      "process exits before it is ready (add a [ready] check), and a run of 10 s resets "
      "max_restarts' count)\n"
      "# supervisord: bogus = 1  (not a supervisord [program:x] key; supervisord would refuse "
      "it)\n"
      "stop_grace_period = \"10s\"  # supervisord's default stopwaitsecs\n",
      r.files[1].text);
  // numprocs: one file per process; autostart=false: disabled, out of the chain.
  EXPECT_EQ("w-0.toml", r.files[2].name);
  EXPECT_EQ("w-1.toml", r.files[3].name);
  EXPECT_NE(std::string::npos, r.files[2].text.find("enabled = false"));
  EXPECT_EQ(std::string::npos, r.files[2].text.find("depends_on"));
  EXPECT_EQ("supervisord.notes", r.files[4].name);
  EXPECT_EQ(
      "# What `steward import supervisord sv.conf` did not convert, and why.\n"
      "# [supervisord] nodaemon = true (/etc/supervisord.conf:2): steward always runs in the "
      "foreground, as PID 1\n"
      "# [eventlistener:mail] (/etc/supervisord.conf:24): steward has no event listeners; not "
      "converted\n",
      r.files[4].text);
}

// supervisord merges [supervisord] environment and a program's into one
// dict: the program's value wins, the last of a repeated name wins. One
// TOML table may not have a key twice.
TEST(SupervisordConvert, AProgramsEnvironmentOverridesTheGlobalOneInValidToml) {
  auto s = Ini("[supervisord]\nenvironment=A=\"1\",B=global,C=c\n"
               "[program:app]\ncommand=app\nenvironment=A=\"2\",D=d,D=%(ENV_X)s,x.y=dotted\n");
  ImportResult r = ConvertSupervisord(s, "sv.conf");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ("app.toml", r.files[0].name);
  EXPECT_NE(std::string::npos,
            r.files[0].text.find("\nenvironment = { A = \"2\", B = \"global\", C = \"c\", D = "
                                 "\"${X}\", \"x.y\" = \"dotted\" }\n"))
      << r.files[0].text;
  // And steward reads it.
  toml::table t;
  EXPECT_NO_THROW(t = toml::parse(r.files[0].text)) << r.files[0].text;
  EXPECT_EQ("2", t["environment"]["A"].value_or(std::string()));
}

TEST(SupervisordConvert, BadValuesAreErrorsWithTheirPlace) {
  auto s = Ini("[program:a]\ncommand=x\nstopsignal=LOUD\nautorestart=maybe\n[program:b]\n"
               "[program:c]\ncommand=y\nnumprocs=999999999\n");
  ImportResult r = ConvertSupervisord(s, "sv.conf");
  EXPECT_EQ((V{"/etc/supervisord.conf:3: stopsignal: unknown signal 'LOUD'",
               "/etc/supervisord.conf:4: autorestart: use true, false or unexpected",
               "/etc/supervisord.conf:5: [program:b] has no command",
               "/etc/supervisord.conf:8: numprocs: use 1 to 1000"}),
            r.errors);
}

}  // namespace
}  // namespace steward::tools
