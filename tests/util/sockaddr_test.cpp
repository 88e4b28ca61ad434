#include "steward/util/sockaddr.hpp"

#include <arpa/inet.h>

#include <string>

#include <gtest/gtest.h>

namespace steward {
namespace {

std::string Text(const SocketAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr, buf, sizeof buf);
  } else if (a.family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

TEST(ToSocketAddress, Ipv4WithPort) {
  SocketAddress a;
  ASSERT_TRUE(ToSocketAddress("192.0.2.7", 514, &a));
  EXPECT_EQ(AF_INET, a.family());
  EXPECT_EQ(socklen_t(sizeof(sockaddr_in)), a.len);
  EXPECT_EQ(514, ntohs(reinterpret_cast<const sockaddr_in*>(a.get())->sin_port));
  EXPECT_EQ("192.0.2.7", Text(a));
}

TEST(ToSocketAddress, Ipv6WithPort) {
  SocketAddress a;
  ASSERT_TRUE(ToSocketAddress("2001:db8::1", 6514, &a));
  EXPECT_EQ(AF_INET6, a.family());
  EXPECT_EQ(socklen_t(sizeof(sockaddr_in6)), a.len);
  EXPECT_EQ(6514, ntohs(reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_port));
  EXPECT_EQ("2001:db8::1", Text(a));
}

TEST(ToSocketAddress, Ipv6InBracketsAsInAUrl) {
  SocketAddress a;
  ASSERT_TRUE(ToSocketAddress("[::1]", 53, &a));
  EXPECT_EQ(AF_INET6, a.family());
  EXPECT_EQ("::1", Text(a));
}

// No scope ids: nothing in steward's configuration names an interface.
TEST(ToSocketAddress, RefusesNamesScopesAndGarbage) {
  SocketAddress a;
  for (const char* bad : {"", "localhost", "logs.internal", "192.0.2", "192.0.2.256", "[]", "[::1",
                          "::1]", "fe80::1%eth0", "1.2.3.4 ", "::g"}) {
    EXPECT_FALSE(ToSocketAddress(bad, 1, &a)) << bad;
    EXPECT_EQ(0, a.family()) << bad;
    EXPECT_EQ(0u, a.len) << bad;
  }
}

}  // namespace
}  // namespace steward
