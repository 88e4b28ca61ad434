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

// Every field round-trips, varied, with the rest of the table
// (protocol_table_test.cpp); here: the wire they make, in row order.
TEST(LogProtocolConfig, TheWireLayoutOfTheConfiguration) {
  ConfigMsg c;
  c.log.console = LogConfig::Console::kJson;
  c.log.console_drop_oldest = true;
  c.log.max_line = 4096;
  c.log.partial_flush = Duration(250);
  c.log.ring = 99;
  c.log.syslog_socket = "";
  c.log.sinks = {Odd(), SinkConfig()};  // not in the message: they follow it
  c.sinks = 2;
  c.runtime_dir = "/run/steward";
  c.verbosity = 2;
  Message m = Encode(c);
  EXPECT_EQ(MsgType::kConfig, m.type);
  EXPECT_EQ(2u, m.id);
  EXPECT_EQ(2, m.value);
  EXPECT_EQ((std::vector<std::string>{"/run/steward", "2", "1", "4096", "250", "99", ""}),
            m.strings);
  EXPECT_TRUE(m.fds.empty());

  m = Encode(SinkConfigMsg{Odd()});
  EXPECT_EQ(MsgType::kSinkConfig, m.type);
  EXPECT_EQ((std::vector<std::string>{"central", "3", "tls://logs.example:6514", "0", "1", "16",
                                      "web-1", "123456789", "1", "/var/log/{service}.log", "777",
                                      "9", "3", "/ca.pem", "/cert.pem", "/key.pem", "logs", "0",
                                      "web*", "db"}),
            m.strings);
  SinkConfigMsg s;
  ASSERT_TRUE(Decode(m, &s));
  EXPECT_EQ((std::vector<std::string>{"web*", "db"}), s.sink.services);
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
  bad = Encode(SinkConfigMsg{Odd()});
  bad.strings[12] = "3 ";  // window
  EXPECT_FALSE(Decode(bad, &s));
  bad = Encode(SinkConfigMsg{Odd()});
  bad.strings[11] = "2147483648";  // keep: above INT32_MAX
  EXPECT_FALSE(Decode(bad, &s));
  bad = Encode(SinkConfigMsg{Odd()});
  bad.fds = {0};  // no descriptor travels with the configuration
  EXPECT_FALSE(Decode(bad, &s));
  bad = Encode(c);
  bad.id = 17;  // verbosity
  EXPECT_FALSE(Decode(bad, &out));
  bad = Encode(c);
  bad.value = 1025;  // sinks that follow
  EXPECT_FALSE(Decode(bad, &out));
}

}  // namespace
}  // namespace steward::log
