// Collectors for the RELP and TLS tests: rsyslogd on loopback with the
// input the test chooses (imrelp, imtcp over TLS), queues in Direct mode so
// that rsyslog answers a RELP transaction only after writing the record,
// which a test that SIGKILLs the collector needs (../shared/TESTING.md);
// and a small PKI made with the openssl command line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "files.hpp"
#include "log_support.hpp"

namespace steward::testing {

class Collector {
 public:
  explicit Collector(std::string dir);
  ~Collector();
  // Writes DIR/rsl.conf from `global_extra` (inside global(...)) and
  // `inputs` (module and input lines; "{port}" and "{dir}" are replaced),
  // starts rsyslogd -n and waits until that process itself listens on the
  // port (not merely until something answers there). The port is chosen
  // once; rsyslogd's own messages go to DIR/rsyslogd.out. direct: queues
  // in Direct mode (rsyslog answers a RELP transaction only once it wrote
  // the record); otherwise rsyslog's default in-memory queue.
  bool Start(const std::string& global_extra, const std::string& inputs, std::string* err,
             bool direct = true);
  // SIGKILL, as a crash: what rsyslog had not written is gone.
  void Kill();
  void Stop();  // SIGTERM; the daemon is gone (and its port free) on return
  bool running() const { return pid_ > 0; }
  uint16_t port();
  std::vector<std::string> ReceivedLines() const;
  const std::string& dir() const { return dir_; }
  // How to wait for the daemon's exit (true once reaped): waitpid for up to
  // 30 s by default; tests that reap with libev's pid 0 watcher substitute
  // their own.
  std::function<bool(pid_t)> wait_exit;

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// The plain collector of the log tests: imtcp (octet counting on) and
// imudp on 127.0.0.1:port, default queues, each message's raw form one
// line of DIR/got.log.
class Rsyslog : public Collector {
 public:
  using Collector::Collector;
  bool Start(std::string* err) { return Collector::Start("", PlainInputs(), err, false); }
  std::string Received() const { return ReadFile(dir() + "/got.log"); }
  static std::string PlainInputs();
};

// imrelp on {port}, plain or TLS (tls_params: imrelp's tls.* parameters).
std::string ImrelpInput(const std::string& tls_params = "");
// imtcp with octet counting on {port}; with TLS through gtls when
// auth_mode is given ("anon", "x509/certvalid", "x509/name").
std::string ImtcpInput(const std::string& auth_mode = "");
// global() parameters for gtls with these files.
std::string GtlsGlobal(const std::string& ca, const std::string& cert, const std::string& key);

// A test PKI in DIR: ca.pem (the CA the sink trusts) and rogue-ca.pem (one
// it does not); server certificates NAME.pem/NAME.key for `collector.test`
// (good), `other.test` (wrong name), an expired one (expired), one signed
// by the rogue CA (rogue); and a client certificate (client). False with
// *err (openssl's output) on failure.
bool MakeCerts(const std::string& dir, std::string* err);

// syslog-ng -F with DIR/ng.conf (written from conf), found as
// log_syslog_ng_test.cpp finds it (STEWARD_SYSLOG_NG_ROOT or PATH); the
// child's pid, or -1 when there is no syslog-ng.
pid_t StartSyslogNg(const std::string& dir, const std::string& conf);

// How often each "PREFIX-N" of 1..count occurs in lines.
struct Tally {
  int missing = 0;     // numbers never seen
  int duplicates = 0;  // extra copies
};
Tally Count(const std::vector<int>& numbers, int count);

}  // namespace steward::testing
