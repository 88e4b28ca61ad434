// Collectors for the RELP and TLS tests: rsyslogd on loopback with the
// input the test chooses (imrelp, imtcp over TLS), queues in Direct mode so
// that rsyslog answers a RELP transaction only after writing the record,
// which a test that SIGKILLs the collector needs (../shared/TESTING.md);
// and a small PKI made with the openssl command line.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "log_support.hpp"
#include "steward/log/hub.hpp"
#include "steward/util/fd.hpp"

namespace steward::testing {

class Collector {
 public:
  explicit Collector(std::string dir);
  ~Collector();
  // Writes DIR/rsl.conf from `global_extra` (inside global(...)) and
  // `inputs` (module and input lines; "{port}" and "{dir}" are replaced),
  // starts rsyslogd -n and waits until that process itself listens on the
  // port (not merely until something answers there). The port is chosen
  // once; rsyslogd's own messages go to DIR/rsyslogd.out.
  bool Start(const std::string& global_extra, const std::string& inputs, std::string* err);
  // SIGKILL, as a crash: what rsyslog had not written is gone.
  void Kill();
  void Stop();  // SIGTERM; the daemon is gone (and its port free) on return
  bool running() const { return pid_ > 0; }
  uint16_t port();
  std::vector<std::string> ReceivedLines() const;
  std::function<bool(pid_t)> wait_exit;  // as Rsyslog::wait_exit

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
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

// A real LogHub (and its forked forwarder) in the test process, with the
// console off and the forwarder's stderr in DIR/stderr, and a Collector,
// as log_hub_test.cpp does with its Rsyslog.
class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  void StartHub();
  struct Fds {
    int out = -1, err = -1;
  };
  Fds Attach(const std::string& name);
  void WaitAll(const std::vector<pid_t>& pids);
  bool Drain(std::chrono::seconds budget = std::chrono::seconds(60));
  std::string Stderr() { return ReadFile(dir_ / "stderr"); }
  // A sink named "central" of this type to scheme://127.0.0.1:PORT.
  SinkConfig Sink(SinkConfig::Type type, const std::string& scheme);
  // Runs the loop until the collector has count numbers with each prefix.
  std::vector<std::string> WaitReceived(const std::vector<std::string>& prefixes, int count,
                                        std::chrono::seconds budget = std::chrono::seconds(60));

  TempDir dir_;
  LoopDriver driver_;
  LogConfig cfg_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<log::LogHub> hub_;
  UniqueFd stderr_;
};

}  // namespace steward::testing
