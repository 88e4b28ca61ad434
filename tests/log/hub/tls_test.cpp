// tls:// sinks against rsyslog with TLS (Debian rsyslog-gnutls for imtcp,
// librelp's TLS for imrelp), certificates made by the test with openssl:
// exact delivery, mutual TLS, and each kind of bad certificate refused with
// its reason while the records wait, then delivered once the collector is
// fixed.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "collector_fixture.hpp"

namespace steward::testing {
namespace {

class LogTlsTest : public CollectorTest {
 protected:
  void SetUp() override {
    CollectorTest::SetUp();
    certs_ = dir_ / "certs";
    mkdir(certs_.c_str(), 0700);
    std::string err;
    ASSERT_TRUE(MakeCerts(certs_, &err)) << err;
  }
  std::string Pem(const std::string& name) { return certs_ + "/" + name + ".pem"; }
  std::string Key(const std::string& name) { return certs_ + "/" + name + ".key"; }
  // rsyslog's imtcp over TLS presenting server certificate `name`.
  bool StartTlsSyslog(const std::string& name, const std::string& auth = "anon") {
    std::string err;
    bool ok = collector_->Start(GtlsGlobal(Pem("ca"), Pem(name), Key(name)), ImtcpInput(auth), &err);
    EXPECT_TRUE(ok) << err;
    return ok;
  }
  SinkConfig TlsSink(SinkConfig::Type type = SinkConfig::Type::kSyslog) {
    SinkConfig s = Sink(type, "tls");
    s.tls_ca = Pem("ca");
    s.tls_server_name = "collector.test";
    return s;
  }
  // Writes n lines, expects the refusal `reason` in the log and in the
  // sink's problem (ctl status), nothing delivered; then restarts the
  // collector with the good certificate and expects all of them, once.
  void RefusedThenFixed(const std::string& bad_cert, const std::string& reason) {
    ASSERT_TRUE(StartTlsSyslog(bad_cert));
    cfg_.sinks = {TlsSink()};
    StartHub();
    Fds web = Attach("web");
    WaitAll({WriteLines(web.out, "n", 1000)});
    std::string expected = "central: TLS: " + reason + " (connecting to " + cfg_.sinks[0].url + ")";
    ASSERT_TRUE(driver_.RunUntil([&] { return !Grep(Stderr(), expected).empty(); }, std::chrono::seconds(30)))
        << Stderr();
    ASSERT_TRUE(driver_.RunUntil([&] { return hub_->Problem("central") == "TLS: " + reason; },
                                 std::chrono::seconds(10)))
        << hub_->Problem("central");
    EXPECT_TRUE(collector_->ReceivedLines().empty());
    collector_->Stop();
    ASSERT_TRUE(StartTlsSyslog("good"));
    // Delivered before the drain, which does not wait for a sink in an outage.
    std::vector<std::string> got = WaitReceived({"n"}, 1000);
    ASSERT_TRUE(Drain());
    EXPECT_EQ("", CheckSequence(Numbers(got, "n"), 1000, false));
    EXPECT_EQ(0u, hub_->Dropped("central"));
    driver_.RunUntil([&] { return hub_->Problem("central").empty(); }, std::chrono::seconds(10));
    EXPECT_EQ("", hub_->Problem("central"));
  }
  std::string certs_;
};

TEST_F(LogTlsTest, SyslogOverTlsGetsEveryLineExactly) {
  ASSERT_TRUE(StartTlsSyslog("good"));
  cfg_.sinks = {TlsSink()};
  StartHub();
  Fds web = Attach("web"), db = Attach("db");
  WaitAll({WriteLines(web.out, "wo", 2000), WriteLines(db.err, "de", 2000)});
  ASSERT_TRUE(Drain());
  std::vector<std::string> got = WaitReceived({"wo", "de"}, 2000);
  EXPECT_EQ(4000u, got.size());
  EXPECT_EQ("", CheckSequence(Numbers(got, "wo"), 2000, false));
  EXPECT_EQ("", CheckSequence(Numbers(got, "de"), 2000, false));
  EXPECT_EQ(1u, Grep(got[0], " - ").size()) << got[0];
  EXPECT_TRUE(Grep(Stderr(), "tls_verify").empty()) << Stderr();
}

TEST_F(LogTlsTest, RelpOverMutualTlsGetsEveryLineExactly) {
  std::string err;
  // librelp's TLS checks the client too (certvalid: signed by its CA).
  ASSERT_TRUE(collector_->Start("", ImrelpInput(fmt::format("tls=\"on\" tls.caCert=\"{}\" tls.myCert=\"{}\" "
                                                            "tls.myPrivKey=\"{}\" tls.authMode=\"certvalid\"",
                                                            Pem("ca"), Pem("good"), Key("good"))),
                                &err))
      << err;
  cfg_.sinks = {TlsSink(SinkConfig::Type::kRelp)};
  cfg_.sinks[0].tls_cert = Pem("client");
  cfg_.sinks[0].tls_key = Key("client");
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 3000), WriteLines(web.err, "e", 3000)});
  ASSERT_TRUE(Drain(std::chrono::seconds(20)));
  std::vector<std::string> got = collector_->ReceivedLines();  // answered means written
  EXPECT_EQ(6000u, got.size()) << Stderr() << ReadFile(dir_ / "rsyslogd.out");
  EXPECT_EQ("", CheckSequence(Numbers(got, "n"), 3000, false));
  EXPECT_EQ("", CheckSequence(Numbers(got, "e"), 3000, false));
}

TEST_F(LogTlsTest, MutualTlsWithAClientCertificate) {
  // x509/certvalid: the collector wants a client certificate from its CA.
  ASSERT_TRUE(StartTlsSyslog("good", "x509/certvalid"));
  cfg_.sinks = {TlsSink()};
  cfg_.sinks[0].tls_cert = Pem("client");
  cfg_.sinks[0].tls_key = Key("client");
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 2000)});
  ASSERT_TRUE(Drain());
  EXPECT_EQ("", CheckSequence(Numbers(WaitReceived({"n"}, 2000), "n"), 2000, false))
      << Stderr() << ReadFile(dir_ / "rsyslogd.out");
}

TEST_F(LogTlsTest, WrongCaIsRefusedThenDeliveredOnceFixed) {
  RefusedThenFixed("rogue", "certificate is not signed by a trusted CA (tls_ca)");
}

TEST_F(LogTlsTest, ExpiredCertificateIsRefusedThenDeliveredOnceFixed) {
  RefusedThenFixed("expired", "certificate has expired");
}

TEST_F(LogTlsTest, WrongHostNameIsRefusedThenDeliveredOnceFixed) {
  RefusedThenFixed("other", "certificate does not match the name 'collector.test' (tls_server_name)");
}

TEST_F(LogTlsTest, VerifyOffIsWarnedAboutAtStartAndStillDelivers) {
  ASSERT_TRUE(StartTlsSyslog("other"));  // wrong name, yet accepted
  cfg_.sinks = {Sink(SinkConfig::Type::kJson, "tls")};
  cfg_.sinks[0].tls_verify = false;
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "n", 100)});
  ASSERT_TRUE(Drain());
  EXPECT_EQ(1u, Grep(Stderr(), "central: tls_verify = false: the collector's certificate is not checked").size())
      << Stderr();
}

// A second TLS receiver with its own TLS stack (OpenSSL): syslog-ng's
// syslog() source with transport("tls"), skipped as log_syslog_ng_test.cpp
// is when syslog-ng is not available.
TEST_F(LogTlsTest, SyslogNgTlsSourceGetsEveryLine) {
  uint16_t port = collector_->port();
  pid_t ng = StartSyslogNg(dir_.path(), fmt::format(
      "@version: 3.38\n"
      "source s_tls {{ syslog(ip(\"127.0.0.1\") port({}) transport(\"tls\")\n"
      "  tls(key-file(\"{}\") cert-file(\"{}\") peer-verify(optional-untrusted))); }};\n"
      "destination d_file {{ file(\"{}/got.log\" template(\"${{PROGRAM}}|${{MSGID}}|${{MSG}}\\n\")); }};\n"
      "log {{ source(s_tls); destination(d_file); }};\n",
      port, Key("good"), Pem("good"), dir_.path()));
  if (ng < 0) GTEST_SKIP() << "syslog-ng not available: set STEWARD_SYSLOG_NG_ROOT (see log_syslog_ng_test.cpp)";
  ASSERT_TRUE(driver_.RunUntil([&] { return PortOpen(port) || driver_.Exited(ng); })) << ReadFile(dir_ / "ng.out");
  ASSERT_FALSE(driver_.Exited(ng)) << ReadFile(dir_ / "ng.out");
  cfg_.sinks = {TlsSink()};
  StartHub();
  Fds web = Attach("web");
  WaitAll({WriteLines(web.out, "o", 1000), WriteLines(web.err, "e", 1000)});
  ASSERT_TRUE(Drain());
  std::vector<std::string> got;
  driver_.RunUntil([&] {
    got = Lines(ReadFile(dir_ / "got.log"));
    return got.size() >= 2000;
  });
  kill(ng, SIGTERM);
  driver_.WaitExit(ng);
  EXPECT_EQ("", CheckSequence(Numbers(got, "o"), 1000, false));
  EXPECT_EQ("", CheckSequence(Numbers(got, "e"), 1000, false));
  EXPECT_EQ(1u, Grep(ReadFile(dir_ / "got.log"), "web|stderr|e-1000").size());
}

}  // namespace
}  // namespace steward::testing
