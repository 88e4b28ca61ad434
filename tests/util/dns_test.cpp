#include "steward/util/dns.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <fstream>
#include <thread>

namespace steward {
namespace {

TEST(Dns, ParseResolvConf) {
  ResolvConf rc = ParseResolvConf(
      "# generated\nnameserver 10.96.0.10\nnameserver ::1\nnameserver bogus\n"
      "search default.svc.cluster.local svc.cluster.local cluster.local\n"
      "options ndots:5 timeout:2\n");
  EXPECT_EQ((std::vector<std::string>{"10.96.0.10", "::1"}), rc.nameservers);
  EXPECT_EQ((std::vector<std::string>{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}),
            rc.search);
  EXPECT_EQ(5, rc.ndots);
}

TEST(Dns, ParseResolvConfDefaultsToLocalhost) {
  ResolvConf rc = ParseResolvConf("");
  EXPECT_EQ((std::vector<std::string>{"127.0.0.1"}), rc.nameservers);
  EXPECT_EQ(1, rc.ndots);
}

TEST(Dns, LookupHosts) {
  std::string hosts = "127.0.0.1 localhost\n# 10.0.0.9 commented\n10.1.2.3\tlogs.internal logs  # the collector\n";
  EXPECT_EQ("10.1.2.3", LookupHosts(hosts, "logs"));
  EXPECT_EQ("10.1.2.3", LookupHosts(hosts, "LOGS.internal"));
  EXPECT_EQ("", LookupHosts(hosts, "commented"));
  EXPECT_EQ("", LookupHosts(hosts, "other"));
}

TEST(Dns, SearchNamesFollowNdots) {
  ResolvConf rc;
  rc.search = {"ns.svc.cluster.local", "cluster.local"};
  rc.ndots = 5;
  EXPECT_EQ((std::vector<std::string>{"vector.ns.svc.cluster.local", "vector.cluster.local", "vector"}),
            SearchNames("vector", rc));
  rc.ndots = 1;
  EXPECT_EQ((std::vector<std::string>{"logs.example.com", "logs.example.com.ns.svc.cluster.local",
                                      "logs.example.com.cluster.local"}),
            SearchNames("logs.example.com", rc));
  EXPECT_EQ((std::vector<std::string>{"abs.example"}), SearchNames("abs.example.", rc));
}

TEST(Dns, BuildQuery) {
  std::string q = BuildQuery(0x1234, "a.bc", kTypeA);
  EXPECT_EQ(std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                        "\x01" "a" "\x02" "bc" "\x00"
                        "\x00\x01\x00\x01", 22),
            q);
}

// A response to `query` with the given answers (type, rdata), the answer
// names compressed to point at the question.
std::string Response(const std::string& query, int rcode,
                     const std::vector<std::pair<uint16_t, std::string>>& answers) {
  std::string r = query;
  r[2] = char(0x81);
  r[3] = char(0x80 | rcode);
  r[6] = 0;
  r[7] = char(answers.size());
  for (const auto& [type, data] : answers) {
    r += std::string("\xc0\x0c", 2);
    r.push_back(char(type >> 8));
    r.push_back(char(type & 0xff));
    r += std::string("\x00\x01\x00\x00\x00\x3c", 6);
    r.push_back(char(data.size() >> 8));
    r.push_back(char(data.size() & 0xff));
    r += data;
  }
  return r;
}

TEST(Dns, ParseResponseTakesAddressesOfTheType) {
  std::string q = BuildQuery(7, "logs", kTypeA);
  std::string r = Response(q, 0, {{5, std::string("\x04" "real" "\x00", 6)},
                                  {kTypeA, std::string("\x0a\x01\x02\x03", 4)},
                                  {kTypeA, std::string("\x0a\x01\x02\x04", 4)}});
  std::vector<std::string> addrs;
  int rcode = -1;
  ASSERT_TRUE(ParseResponse(r, 7, kTypeA, &addrs, &rcode));
  EXPECT_EQ(0, rcode);
  EXPECT_EQ((std::vector<std::string>{"10.1.2.3", "10.1.2.4"}), addrs);
}

TEST(Dns, ParseResponseAAAA) {
  std::string q = BuildQuery(9, "logs", kTypeAAAA);
  std::string r = Response(q, 0, {{kTypeAAAA, std::string("\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16)}});
  std::vector<std::string> addrs;
  int rcode;
  ASSERT_TRUE(ParseResponse(r, 9, kTypeAAAA, &addrs, &rcode));
  EXPECT_EQ((std::vector<std::string>{"fd00::1"}), addrs);
}

TEST(Dns, ParseResponseRejectsWrongIdTruncationAndQueries) {
  std::string q = BuildQuery(7, "logs", kTypeA);
  std::string r = Response(q, 0, {{kTypeA, std::string("\x0a\x01\x02\x03", 4)}});
  std::vector<std::string> addrs;
  int rcode;
  EXPECT_FALSE(ParseResponse(r, 8, kTypeA, &addrs, &rcode));
  EXPECT_FALSE(ParseResponse(q, 7, kTypeA, &addrs, &rcode));  // a query, not a response
  for (size_t cut = 0; cut < r.size(); ++cut) {
    addrs.clear();
    bool ok = ParseResponse(r.substr(0, cut), 7, kTypeA, &addrs, &rcode);
    EXPECT_TRUE(!ok || addrs.empty()) << cut;
  }
}

TEST(Dns, ParseResponseNxdomain) {
  std::string q = BuildQuery(7, "nope", kTypeA);
  std::vector<std::string> addrs;
  int rcode;
  ASSERT_TRUE(ParseResponse(Response(q, 3, {}), 7, kTypeA, &addrs, &rcode));
  EXPECT_EQ(3, rcode);
  EXPECT_TRUE(addrs.empty());
}

class DnsLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = ev_loop_new(EVFLAG_AUTO);
  }
  void TearDown() override {
    ev_loop_destroy(loop_);
  }
  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
  std::pair<bool, std::string> Resolve(const std::string& name) {
    DnsLookup lookup(loop_);
    bool called = false;
    std::pair<bool, std::string> got;
    lookup.Start(name, [&](bool ok, const std::string& r) {
      called = true;
      got = {ok, r};
    }, dir_ + "/hosts", dir_ + "/resolv.conf");
    EXPECT_FALSE(called);  // never from Start()
    while (!called) ev_run(loop_, EVRUN_ONCE);
    return got;
  }
  struct ev_loop* loop_;
  testing::TempDir tmp_{"dns"};
  std::string dir_ = tmp_.path();
};

TEST_F(DnsLookupTest, NumericAndHostsAnswerAtOnce) {
  Write("hosts", "10.9.8.7 collector\n");
  EXPECT_EQ(std::make_pair(true, std::string("192.0.2.1")), Resolve("192.0.2.1"));
  EXPECT_EQ(std::make_pair(true, std::string("::1")), Resolve("::1"));
  EXPECT_EQ(std::make_pair(true, std::string("10.9.8.7")), Resolve("collector"));
  EXPECT_EQ(std::make_pair(true, std::string("127.0.0.1")), Resolve("localhost"));
}

// A nameserver on loopback that answers "svc.test" with 10.0.0.42 and says
// NXDOMAIN to anything else; the search list is walked until it answers.
TEST_F(DnsLookupTest, AsksTheNameserverWithTheSearchList) {
  // The lookup always asks port 53, so the fake server needs that port on
  // a loopback address of its own (root, and nothing else there).
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = inet_addr("127.0.0.53");
  sin.sin_port = htons(53);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sin), sizeof sin) != 0) {
    close(fd);
    GTEST_SKIP() << "cannot bind 127.0.0.53:53 (needs root and a free port)";
  }
  Write("hosts", "");
  Write("resolv.conf", "nameserver 127.0.0.53\nsearch nowhere.test test\noptions ndots:2\n");
  std::vector<std::string> asked;
  std::thread server([&] {
    for (;;) {
      char buf[512];
      struct sockaddr_in from;
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<struct sockaddr*>(&from), &flen);
      if (n <= 0) return;
      std::string q(buf, size_t(n));
      std::string name;
      for (size_t at = 12; at < q.size() && q[at];) {
        size_t l = size_t(uint8_t(q[at]));
        if (!name.empty()) name += ".";
        name += q.substr(at + 1, l);
        at += l + 1;
      }
      asked.push_back(name);
      bool hit = name == "svc.test" && q[q.size() - 3] == kTypeA;
      std::string r = Response(q, hit ? 0 : 3, hit ? std::vector<std::pair<uint16_t, std::string>>{{kTypeA, std::string("\x0a\x00\x00\x2a", 4)}}
                                                : std::vector<std::pair<uint16_t, std::string>>{});
      sendto(fd, r.data(), r.size(), 0, reinterpret_cast<struct sockaddr*>(&from), flen);
      if (hit) return;
    }
  });
  auto got = Resolve("svc");
  server.join();
  close(fd);
  EXPECT_EQ(std::make_pair(true, std::string("10.0.0.42")), got);
  EXPECT_EQ((std::vector<std::string>{"svc.nowhere.test", "svc.test"}), asked);
}

TEST_F(DnsLookupTest, NoServerMeansAnError) {
  Write("hosts", "");
  Write("resolv.conf", "nameserver 127.0.0.54\n");  // nothing listens there: refused at once
  auto got = Resolve("nothing.invalid.");
  EXPECT_FALSE(got.first);
  EXPECT_EQ(0u, got.second.find("cannot resolve 'nothing.invalid.': ")) << got.second;
}

}  // namespace
}  // namespace steward
