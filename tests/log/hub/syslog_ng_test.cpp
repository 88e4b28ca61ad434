// A second real receiver with its own parser: syslog-ng. Debian's
// syslog-ng-core conflicts with rsyslog, so it is not installed next to it;
// the test runs when one is available and is skipped, saying how, when not:
//
//   syslog-ng on PATH, or STEWARD_SYSLOG_NG_ROOT=DIR, a tree unpacked with
//     apt-get download syslog-ng-core libivykis0 libnet1 libwrap0
//     for d in *.deb; do dpkg -x "$d" DIR; done
#include "steward/log/hub.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>

#include "files.hpp"
#include "temp_dir.hpp"
#include "log_support.hpp"

namespace steward::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct SyslogNg {
  std::string binary, libs, modules;
};

bool FindSyslogNg(SyslogNg* out) {
  if (const char* root = getenv("STEWARD_SYSLOG_NG_ROOT")) {
    out->binary = std::string(root) + "/usr/sbin/syslog-ng";
    out->libs = std::string(root) + "/usr/lib/x86_64-linux-gnu:" + root + "/lib/x86_64-linux-gnu:" +
                root + "/usr/lib/syslog-ng";
    out->modules = std::string(root) + "/usr/lib/syslog-ng/3.38";
    return access(out->binary.c_str(), X_OK) == 0;
  }
  for (const char* p : {"/usr/sbin/syslog-ng", "/usr/bin/syslog-ng"}) {
    if (access(p, X_OK) == 0) {
      out->binary = p;
      return true;
    }
  }
  return false;
}

TEST(LogSyslogNg, ReceivesEveryRecordWithItsFields) {
  SyslogNg ng;
  if (!FindSyslogNg(&ng)) {
    GTEST_SKIP() << "syslog-ng not available (it conflicts with rsyslog as a Debian package): "
                    "set STEWARD_SYSLOG_NG_ROOT to a tree unpacked from syslog-ng-core, "
                    "libivykis0, libnet1 and libwrap0 with dpkg -x";
  }
  TempDir dir;
  uint16_t port = FreePort();
  WriteFile(dir / "ng.conf", fmt::format(
      "@version: 3.38\n"
      "source s_net {{ syslog(ip(\"127.0.0.1\") port({}) transport(\"tcp\")); }};\n"
      "destination d_file {{ file(\"{}/got.log\" template(\"${{PROGRAM}}|${{PID}}|${{MSGID}}|${{MSG}}\\n\")); }};\n"
      "log {{ source(s_net); destination(d_file); }};\n",
      port, dir.path()));
  LoopDriver driver;
  pid_t ng_pid = fork();
  if (ng_pid == 0) {
    if (!ng.libs.empty()) setenv("LD_LIBRARY_PATH", ng.libs.c_str(), 1);
    std::string conf = dir / "ng.conf", persist = dir / "ng.persist", pidf = dir / "ng.pid",
                ctl = dir / "ng.ctl";
    std::vector<std::string> args = {ng.binary, "-F", "-f", conf, "-R", persist, "-p", pidf, "-c", ctl};
    if (!ng.modules.empty()) args.push_back("--module-path=" + ng.modules);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ASSERT_TRUE(driver.RunUntil([&] { return PortOpen(port) || driver.Exited(ng_pid); }));
  ASSERT_FALSE(driver.Exited(ng_pid)) << "syslog-ng did not start";

  LogConfig cfg;
  cfg.syslog_socket = "";
  cfg.console = LogConfig::Console::kOff;
  SinkConfig sink;
  sink.name = "central";
  sink.type = SinkConfig::Type::kSyslog;
  sink.url = fmt::format("tcp://127.0.0.1:{}", port);
  cfg.sinks = {sink};
  auto hub = std::make_unique<log::LogHub>(driver.loop(), cfg, dir / "run");
  mkdir((dir / "run").c_str(), 0700);
  driver.on_exit = [&](pid_t pid, int status) { hub->OnForwarderExit(pid, status); };
  std::string err;
  ASSERT_TRUE(hub->Start(&err)) << err;
  int out_w, err_w;
  ASSERT_TRUE(hub->Attach("web", {}, &out_w, &err_w, &err)) << err;
  hub->SetPid("web", 77);
  pid_t w1 = WriteLines(out_w, "o", 1000), w2 = WriteLines(err_w, "e", 1000);
  ASSERT_TRUE(driver.RunUntil([&] { return driver.Exited(w1) && driver.Exited(w2); }));
  bool done = false;
  hub->Drain(Clock::now() + std::chrono::seconds(20), [&] { done = true; });
  ASSERT_TRUE(driver.RunUntil([&] { return done; }));
  std::vector<std::string> got;
  driver.RunUntil([&] {
    got = Lines(ReadFile(dir / "got.log"));
    return got.size() >= 2000;
  });
  kill(ng_pid, SIGTERM);
  driver.WaitExit(ng_pid);
  EXPECT_EQ("", CheckSequence(Numbers(got, "o"), 1000, false));
  EXPECT_EQ("", CheckSequence(Numbers(got, "e"), 1000, false));
  EXPECT_EQ(1u, Grep(ReadFile(dir / "got.log"), "web|77|stdout|o-1000").size());
  EXPECT_EQ(1u, Grep(ReadFile(dir / "got.log"), "web|77|stderr|e-1000").size());
}

}  // namespace
}  // namespace steward::testing
