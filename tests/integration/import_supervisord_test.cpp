// `steward import supervisord` on the corpus of tests/tools/supervisord/:
// each result passes `steward --check`, and steward as PID 1 on it starts
// the same programs supervisord would (stand-ins on PATH for the daemons
// that are not installed), then stops them all on SIGTERM with exit 0.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"

namespace steward::testing {
namespace {

const std::string kCorpus = STEWARD_SOURCE_DIR "/tests/tools/supervisord";

// Runs the steward binary as an ordinary program; returns its exit code.
int RunTool(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            std::string* out) {
  std::string cmd;
  for (auto& [k, v] : env) cmd += k + "='" + v + "' ";
  cmd += std::string("'") + StewardBin() + "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  out->clear();
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::map<std::string, std::string> ReadEnv(const std::string& path) {
  std::map<std::string, std::string> env;
  for (const std::string& l : Lines(ReadFile(path))) {
    size_t eq = l.find('=');
    if (eq != std::string::npos) env[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return env;
}

// Every program of the corpus, as a stand-in: it says what it was started
// with and finishes on whichever stop signal its configuration chose.
void WriteStandins(const std::string& dir) {
  mkdir(dir.c_str(), 0755);
  WriteFile(dir + "/standin",
            "#!/bin/sh\n"
            "name=${0##*/}\n"
            "trap 'echo \"$name: stopping\"; exit 0' TERM INT QUIT HUP USR1 USR2 WINCH\n"
            "echo \"$name: started $*\"\n"
            "while :; do sleep 1 & wait $!; done\n",
            0755);
  for (const char* n : {"php-fpm8.2", "nginx", "gunicorn", "celery", "cron", "app-server", "php",
                        "redis-server", "bundle", "sshd", "apache2ctl", "node", "node_exporter",
                        "postgres", "pgbouncer", "sleep-forever", "python3", "socat", "crashmail",
                        "uwsgi", "memcached", "reporter"})
    symlink("standin", (dir + "/" + n).c_str());
}

std::vector<std::string> CorpusDirs() {
  std::vector<std::string> dirs;
  if (DIR* d = opendir(kCorpus.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.' && Exists(kCorpus + "/" + e->d_name + "/supervisord.conf"))
        dirs.push_back(e->d_name);
    closedir(d);
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

class ImportCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportCorpus, ChecksAndStartsTheSamePrograms) {
  if (geteuid() != 0) GTEST_SKIP() << "the corpus runs programs as www-data and nobody";
  const std::string src = kCorpus + "/" + GetParam();
  TempDir tmp;
  chmod(tmp.path().c_str(), 0755);  // the stand-ins run as nobody too
  std::string services = tmp / "services", bin = tmp / "bin", out;
  WriteStandins(bin);
  std::map<std::string, std::string> env = ReadEnv(src + "/env");

  ASSERT_EQ(0, RunTool({"import", "supervisord", src + "/supervisord.conf", "-o", services}, env, &out))
      << out;
  ASSERT_EQ(0, RunTool({"--check", "--services", services, "--config", ""}, env, &out)) << out;

  RunOptions o;
  o.env = env;
  o.env["PATH"] = bin + ":/usr/sbin:/usr/bin:/sbin:/bin";
  Process p({"--services", services, "--config", ""}, o);
  std::vector<std::string> want;
  for (std::string l : Lines(ReadFile(src + "/expected"))) {
    size_t here = l.find("HERE");
    if (here != std::string::npos) l.replace(here, 4, src);
    if (!l.empty()) want.push_back(l);
  }
  ASSERT_FALSE(want.empty());
  bool all = WaitFor([&] {
    std::string got = p.Stdout() + p.Stderr();
    for (const std::string& w : want)
      if (got.find(w) == std::string::npos) return false;
    return true;
  });
  std::string got = p.Stdout() + p.Stderr();
  for (const std::string& w : want) EXPECT_NE(std::string::npos, got.find(w)) << w << "\n" << got;
  ASSERT_TRUE(all);
  p.Signal(SIGTERM);
  EXPECT_EQ(0, p.Wait()) << p.Stderr();
  EXPECT_TRUE(Grep(p.Stdout() + p.Stderr(), "SIGKILL").empty()) << p.Stdout() + p.Stderr();
}

INSTANTIATE_TEST_SUITE_P(Corpus, ImportCorpus, ::testing::ValuesIn(CorpusDirs()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return "c" + n;
                         });

TEST(ImportCorpus, HasElevenConfigurations) { EXPECT_EQ(11u, CorpusDirs().size()); }

// docs/MIGRATING.md checks the import at image build time, when the
// variables a `%(ENV_X)s` reads are not set yet: --allow-unset makes them
// warnings with their place; at start they are errors again.
TEST(ImportCheck, AllowUnsetChecksWithoutTheRunTimeEnvironment) {
  TempDir tmp;
  std::string services = tmp / "services", out;
  ASSERT_EQ(0, RunTool({"import", "supervisord", kCorpus + "/11-shared-environment/supervisord.conf",
                        "-o", services}, {}, &out)) << out;
  std::string unset = services + "/app.toml:5:27: variable 'DEPLOY' is not set (use "
                      "${DEPLOY:-default} for a default)\n";
  ASSERT_EQ(2, RunTool({"--check", "--services", services, "--config", ""}, {}, &out));
  EXPECT_EQ("steward: error: " + unset + "steward: error: 1 configuration error; nothing was started\n",
            out);
  ASSERT_EQ(0, RunTool({"--check", "--allow-unset", "--services", services, "--config", ""}, {}, &out))
      << out;
  EXPECT_EQ(0u, out.find("steward: warning: " + unset + "services directory: " + services + "\n"))
      << out;
  EXPECT_EQ(0, RunTool({"--check", "--services", services, "--config", ""}, {{"DEPLOY", "prod"}}, &out))
      << out;
  EXPECT_EQ(std::string::npos, out.find("warning")) << out;
}

}  // namespace
}  // namespace steward::testing
