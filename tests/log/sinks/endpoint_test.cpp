#include "steward/log/sinks/endpoint.hpp"

#include <gtest/gtest.h>

namespace steward::log {
namespace {

TEST(Endpoint, ParsesTcpUdpAndUnix) {
  Endpoint ep;
  std::string err;
  ASSERT_TRUE(ParseEndpoint("tcp://logs.internal:6514", &ep, &err)) << err;
  EXPECT_EQ(Endpoint::Kind::kTcp, ep.kind);
  EXPECT_EQ("logs.internal", ep.host);
  EXPECT_EQ(6514, ep.port);
  ASSERT_TRUE(ParseEndpoint("udp://127.0.0.1:514", &ep, &err)) << err;
  EXPECT_EQ(Endpoint::Kind::kUdp, ep.kind);
  ASSERT_TRUE(ParseEndpoint("tcp://[::1]:9000", &ep, &err)) << err;
  EXPECT_EQ("::1", ep.host);
  ASSERT_TRUE(ParseEndpoint("unix:///run/syslog.sock", &ep, &err)) << err;
  EXPECT_EQ(Endpoint::Kind::kUnix, ep.kind);
  EXPECT_EQ("/run/syslog.sock", ep.path);
}

TEST(Endpoint, TlsIsTcpWithTls) {
  Endpoint ep;
  std::string err;
  ASSERT_TRUE(ParseEndpoint("tls://logs.internal:6514", &ep, &err)) << err;
  EXPECT_EQ(Endpoint::Kind::kTcp, ep.kind);
  EXPECT_TRUE(ep.tls);
  EXPECT_EQ("logs.internal", ep.host);
  EXPECT_EQ(6514, ep.port);
  ASSERT_TRUE(ParseEndpoint("tcp://logs.internal:514", &ep, &err)) << err;
  EXPECT_FALSE(ep.tls);
  EXPECT_FALSE(ParseEndpoint("tls://logs.internal", &ep, &err));
  EXPECT_EQ("invalid url 'tls://logs.internal': expected tls://HOST:PORT", err);
}

TEST(Endpoint, RejectsWithAReason) {
  Endpoint ep;
  std::string err;
  EXPECT_FALSE(ParseEndpoint("http://x:1", &ep, &err));
  EXPECT_EQ("invalid url 'http://x:1': expected tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or unix:///PATH", err);
  EXPECT_FALSE(ParseEndpoint("tcp://host", &ep, &err));
  EXPECT_EQ("invalid url 'tcp://host': expected tcp://HOST:PORT", err);
  EXPECT_FALSE(ParseEndpoint("udp://h:70000", &ep, &err));
  EXPECT_FALSE(ParseEndpoint("tcp://:514", &ep, &err));
  EXPECT_FALSE(ParseEndpoint("unix://relative", &ep, &err));
  EXPECT_EQ("invalid url 'unix://relative': expected unix:///absolute/path", err);
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  Backoff b;
  int64_t expected = 100;
  for (int i = 0; i < 12; ++i) {
    int64_t d = b.Next().count();
    EXPECT_GE(d, expected / 2) << i;
    EXPECT_LE(d, expected) << i;
    expected = std::min<int64_t>(expected * 2, 30000);
  }
  b.Reset();
  EXPECT_LE(b.Next().count(), 100);
}

}  // namespace
}  // namespace steward::log
