// rsyslogd as a collector, and the test PKI (collector.hpp).
#include "collector.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <thread>

#include "log_support.hpp"

namespace steward::testing {

namespace {

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size()))
    s->replace(pos, from.size(), to);
}

}  // namespace

Collector::Collector(std::string dir) : wait_exit(WaitChild), dir_(std::move(dir)) {}

Collector::~Collector() { Stop(); }

uint16_t Collector::port() {
  if (port_ == 0) port_ = FreePort();
  return port_;
}

bool Collector::Start(const std::string& global_extra, const std::string& inputs, std::string* err,
                      bool direct) {
  if (pid_ > 0) {
    *err = "rsyslogd is already running";
    return false;
  }
  std::string in = inputs;
  ReplaceAll(&in, "{port}", std::to_string(port()));
  ReplaceAll(&in, "{dir}", dir_);
  std::string conf = fmt::format(
      "global(workDirectory=\"{0}\" maxMessageSize=\"64k\" {3}\n"
      "       parser.escapeControlCharactersOnReceive=\"off\" {1})\n"
      "{4}"
      "action(type=\"omfile\" file=\"{0}/rsyslogd.out\")\n"  // its own messages
      "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n"
      "ruleset(name=\"in\"{5}) {{\n"
      "  action(type=\"omfile\" file=\"{0}/got.log\" template=\"raw\")\n"
      "}}\n"
      "{2}\n",
      dir_, global_extra, in, kRsyslogOwnMessages,
      direct ? "main_queue(queue.type=\"Direct\")\n" : "", direct ? " queue.type=\"Direct\"" : "");
  WriteFile(dir_ + "/rsl.conf", conf);
  pid_ = fork();
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    int log = open((dir_ + "/rsyslogd.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, 1);
    dup2(log, 2);
    std::string conf_path = dir_ + "/rsl.conf", pidfile = dir_ + "/rsl.pid";
    execlp("rsyslogd", "rsyslogd", "-n", "-f", conf_path.c_str(), "-i", pidfile.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  // Another process on the port (one that took it since FreePort(), or an
  // rsyslogd of before) would answer a connect() too: wait for this one.
  for (int i = 0; i < 1500; ++i) {
    if (ListensOn(pid_, port_)) return true;
    siginfo_t si = {};  // exited (without reaping it: wait_exit does)
    if (waitid(P_PID, id_t(pid_), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *err = "rsyslogd did not listen on port " + std::to_string(port_) + ": " + ReadFile(dir_ + "/rsyslogd.out");
  EndDaemon(pid_, SIGKILL, wait_exit, "rsyslogd");
  pid_ = -1;
  return false;
}

void Collector::Kill() {
  if (pid_ <= 0) return;
  EndDaemon(pid_, SIGKILL, wait_exit, "rsyslogd");
  pid_ = -1;
  unlink((dir_ + "/rsl.pid").c_str());
}

void Collector::Stop() {
  if (pid_ <= 0) return;
  EndDaemon(pid_, SIGTERM, wait_exit, "rsyslogd");
  pid_ = -1;
  unlink((dir_ + "/rsl.pid").c_str());
}

std::vector<std::string> Collector::ReceivedLines() const { return Lines(ReadFile(dir_ + "/got.log")); }

std::string Rsyslog::PlainInputs() {
  return "module(load=\"imtcp\" MaxSessions=\"200\")\n"
         "module(load=\"imudp\")\n"
         "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"in\"\n"
         "      supportOctetCountedFraming=\"on\")\n"
         "input(type=\"imudp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"in\"\n"
         "      rcvbufSize=\"8m\")\n";
}

std::string ImrelpInput(const std::string& tls_params) {
  return "module(load=\"imrelp\")\n"
         "input(type=\"imrelp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"in\" " +
         tls_params + ")\n";
}

std::string ImtcpInput(const std::string& auth_mode) {
  std::string tls;
  if (!auth_mode.empty()) {
    tls = " StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"" +
          auth_mode + "\"";
  }
  return "module(load=\"imtcp\" MaxSessions=\"200\"" + tls +
         ")\n"
         "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"in\"\n"
         "      supportOctetCountedFraming=\"on\")\n";
}

std::string GtlsGlobal(const std::string& ca, const std::string& cert, const std::string& key) {
  return fmt::format(
      "DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"{}\"\n"
      "       DefaultNetstreamDriverCertFile=\"{}\" DefaultNetstreamDriverKeyFile=\"{}\"",
      ca, cert, key);
}

bool MakeCerts(const std::string& dir, std::string* err) {
  // Each certificate: a key, a request, and the CA's signature (days -1
  // makes one that has already expired).
  std::string script = fmt::format(
      "set -e; cd '{}'\n"
      "ca() {{ openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 30 "
      "-subj /CN=$1; }}\n"
      "cert() {{ openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj /CN=$2\n"
      "  printf 'subjectAltName=DNS:%s\\n' $2 > $1.ext\n"
      "  openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -out $1.pem "
      "-days $4 -extfile $1.ext; }}\n"
      "ca ca; ca rogue-ca\n"
      "cert good collector.test ca 30\n"
      "cert other other.test ca 30\n"
      "cert expired collector.test ca -1\n"
      "cert rogue collector.test rogue-ca 30\n"
      "cert client steward-client ca 30\n"
      "chmod 644 *.key\n",
      dir);
  WriteFile(dir + "/mkcerts.sh", script);
  std::string out = dir + "/mkcerts.out";
  int rc = system(("sh '" + dir + "/mkcerts.sh' >'" + out + "' 2>&1").c_str());
  if (rc != 0) {
    *err = ReadFile(out);
    return false;
  }
  return true;
}

pid_t StartSyslogNg(const std::string& dir, const std::string& conf) {
  std::string binary, libs, modules;
  if (const char* root = getenv("STEWARD_SYSLOG_NG_ROOT")) {
    binary = std::string(root) + "/usr/sbin/syslog-ng";
    libs = std::string(root) + "/usr/lib/x86_64-linux-gnu:" + root + "/lib/x86_64-linux-gnu:" + root +
           "/usr/lib/syslog-ng";
    modules = std::string(root) + "/usr/lib/syslog-ng/3.38";
  } else {
    for (const char* p : {"/usr/sbin/syslog-ng", "/usr/bin/syslog-ng"}) {
      if (access(p, X_OK) == 0) binary = p;
    }
  }
  if (binary.empty() || access(binary.c_str(), X_OK) != 0) return -1;
  WriteFile(dir + "/ng.conf", conf);
  pid_t pid = fork();
  if (pid == 0) {
    if (!libs.empty()) setenv("LD_LIBRARY_PATH", libs.c_str(), 1);
    std::vector<std::string> args = {binary, "-F", "-f", dir + "/ng.conf", "-R", dir + "/ng.persist",
                                     "-p", dir + "/ng.pid", "-c", dir + "/ng.ctl"};
    if (!modules.empty()) args.push_back("--module-path=" + modules);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    int log = open((dir + "/ng.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, 1);
    dup2(log, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

Tally Count(const std::vector<int>& numbers, int count) {
  std::vector<int> seen(size_t(count) + 1, 0);
  Tally t;
  for (int n : numbers) {
    if (n >= 1 && n <= count) ++seen[size_t(n)];
  }
  for (int i = 1; i <= count; ++i) {
    if (seen[size_t(i)] == 0) ++t.missing;
    if (seen[size_t(i)] > 1) t.duplicates += seen[size_t(i)] - 1;
  }
  return t;
}

}  // namespace steward::testing
