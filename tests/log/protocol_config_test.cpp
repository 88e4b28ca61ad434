// The configuration messages PID 1 sends a forwarder it has just executed (kConfig, kSinkConfig).
#include <gtest/gtest.h>

#include "steward/log/protocol.hpp"

namespace steward::log {
namespace {

// Every field away from its default.
SinkConfig Odd() {
  SinkConfig s;
  s.name = "central";
  s.type = SinkConfig::Type::kRelp;
  s.url = "tls://logs.example:6514";
  s.octet_counting = false;
  s.rfc3164 = true;
  s.facility = 16;
  s.hostname = "web-1";
  s.services = {"web*", "db"};
  s.buffer = 123456789;
  s.overflow_block = true;
  s.path = "/var/log/{service}.log";
  s.rotate_size = 777;
  s.keep = 9;
  s.window = 3;
  s.tls_ca = "/ca.pem";
  s.tls_cert = "/cert.pem";
  s.tls_key = "/key.pem";
  s.tls_server_name = "logs";
  s.tls_verify = false;
  return s;
}

TEST(LogProtocolConfig, EveryFieldRoundTrips) {
  ConfigMsg c;
  c.log.console = LogConfig::Console::kJson;
  c.log.console_drop_oldest = true;
  c.log.max_line = 4096;
  c.log.partial_flush = Duration(250);
  c.log.ring = 99;
  c.log.syslog_socket = "";
  c.log.sinks = {Odd(), SinkConfig()};
  c.runtime_dir = "/run/steward";
  c.verbosity = 2;
  ConfigMsg got;
  ASSERT_TRUE(Decode(Encode(c), &got));
  EXPECT_EQ(2u, got.sinks);
  EXPECT_TRUE(got.log.sinks.empty());  // they follow, one message each
  EXPECT_EQ(LogConfig::Console::kJson, got.log.console);
  EXPECT_TRUE(got.log.console_drop_oldest);
  EXPECT_EQ(4096u, got.log.max_line);
  EXPECT_EQ(Duration(250), got.log.partial_flush);
  EXPECT_EQ(99u, got.log.ring);
  EXPECT_EQ("", got.log.syslog_socket);
  EXPECT_EQ("/run/steward", got.runtime_dir);
  EXPECT_EQ(2, got.verbosity);

  SinkConfig want = Odd();
  SinkConfigMsg s;
  ASSERT_TRUE(Decode(Encode(SinkConfigMsg{want}), &s));
  const SinkConfig& g = s.sink;
  EXPECT_EQ(want.name, g.name);
  EXPECT_EQ(want.type, g.type);
  EXPECT_EQ(want.url, g.url);
  EXPECT_EQ(want.octet_counting, g.octet_counting);
  EXPECT_EQ(want.rfc3164, g.rfc3164);
  EXPECT_EQ(want.facility, g.facility);
  EXPECT_EQ(want.hostname, g.hostname);
  EXPECT_EQ(want.services, g.services);
  EXPECT_EQ(want.buffer, g.buffer);
  EXPECT_EQ(want.overflow_block, g.overflow_block);
  EXPECT_EQ(want.path, g.path);
  EXPECT_EQ(want.rotate_size, g.rotate_size);
  EXPECT_EQ(want.keep, g.keep);
  EXPECT_EQ(want.window, g.window);
  EXPECT_EQ(want.tls_ca, g.tls_ca);
  EXPECT_EQ(want.tls_cert, g.tls_cert);
  EXPECT_EQ(want.tls_key, g.tls_key);
  EXPECT_EQ(want.tls_server_name, g.tls_server_name);
  EXPECT_EQ(want.tls_verify, g.tls_verify);
}

TEST(LogProtocolConfig, MalformedConfigDoesNotDecode) {
  ConfigMsg c;
  Message m = Encode(c);
  ConfigMsg out;
  Message bad = Encode(c);
  bad.strings[1] = "9";  // no such console
  EXPECT_FALSE(Decode(bad, &out));
  bad = Encode(c);
  bad.strings[3] = "-1";
  EXPECT_FALSE(Decode(bad, &out));
  bad = Encode(c);
  bad.strings.pop_back();
  EXPECT_FALSE(Decode(bad, &out));
  bad = Encode(c);
  bad.value = -1;
  EXPECT_FALSE(Decode(bad, &out));
  m.type = MsgType::kSinkConfig;
  EXPECT_FALSE(Decode(m, &out));

  SinkConfigMsg s;
  bad = Encode(SinkConfigMsg{Odd()});
  bad.strings[1] = "7";  // no such type
  EXPECT_FALSE(Decode(bad, &s));
  bad = Encode(SinkConfigMsg{Odd()});
  bad.strings[17] = "yes";
  EXPECT_FALSE(Decode(bad, &s));
  bad = Encode(SinkConfigMsg{Odd()});
  bad.strings.resize(17);
  EXPECT_FALSE(Decode(bad, &s));
}

}  // namespace
}  // namespace steward::log
