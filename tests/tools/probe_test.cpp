#include "steward/tools/probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace steward::tools {
namespace {

using Kind = ProbeTarget::Kind;

TEST(ProbeUrl, TcpAndHttpForms) {
  ProbeTarget t;
  std::string err;
  ASSERT_TRUE(ParseProbeUrl("tcp://127.0.0.1:5432", &t, &err)) << err;
  EXPECT_EQ(Kind::kTcp, t.kind);
  EXPECT_EQ("127.0.0.1", t.host);
  EXPECT_EQ(5432, t.port);
  ASSERT_TRUE(ParseProbeUrl("http://localhost:8080/healthz?full=1", &t, &err)) << err;
  EXPECT_EQ(Kind::kHttp, t.kind);
  EXPECT_EQ("localhost", t.host);
  EXPECT_EQ(8080, t.port);
  EXPECT_EQ("/healthz?full=1", t.path);
  ASSERT_TRUE(ParseProbeUrl("http://[::1]/", &t, &err)) << err;
  EXPECT_EQ("::1", t.host);
  EXPECT_EQ(80, t.port);
  ASSERT_TRUE(ParseProbeUrl("http://web", &t, &err)) << err;
  EXPECT_EQ("/", t.path);
}

TEST(ProbeUrl, MistakesAreNamed) {
  ProbeTarget t;
  std::string err;
  EXPECT_FALSE(ParseProbeUrl("127.0.0.1:80", &t, &err));
  EXPECT_EQ("'127.0.0.1:80' is not a probe URL (use tcp://HOST:PORT or http://HOST:PORT/PATH)",
            err);
  EXPECT_FALSE(ParseProbeUrl("tcp://db", &t, &err));
  EXPECT_EQ("'tcp://db' needs a port (tcp://HOST:PORT)", err);
  EXPECT_FALSE(ParseProbeUrl("tcp://db:99999", &t, &err));
  EXPECT_EQ("'tcp://db:99999': invalid port '99999' (use 1 to 65535)", err);
  EXPECT_FALSE(ParseProbeUrl("https://x/", &t, &err));
  EXPECT_EQ("'https://x/': https is not supported (probe the plain port, or use tcp://)", err);
  EXPECT_FALSE(ParseProbeUrl("http://::1/", &t, &err));
  EXPECT_EQ("'http://::1/': an IPv6 address needs brackets ([::1]:80)", err);
  EXPECT_FALSE(ParseProbeUrl("http://x/a b", &t, &err));
  EXPECT_FALSE(ParseProbeUrl("tcp://x:1/path", &t, &err));
  EXPECT_EQ("'tcp://x:1/path': a tcp:// URL has no path", err);
}

TEST(ProbeStatusLine, ParsesAndSanitises) {
  int status;
  std::string reason;
  ASSERT_TRUE(ParseStatusLine("HTTP/1.1 503 Service Unavailable", &status, &reason));
  EXPECT_EQ(503, status);
  EXPECT_EQ("Service Unavailable", reason);
  ASSERT_TRUE(ParseStatusLine("HTTP/1.0 204", &status, &reason));
  EXPECT_EQ(204, status);
  EXPECT_EQ("", reason);
  ASSERT_TRUE(ParseStatusLine("HTTP/1.1 200 O\x1b[2JK", &status, &reason));
  EXPECT_EQ("O?[2JK", reason);
  EXPECT_FALSE(ParseStatusLine("SSH-2.0-OpenSSH_9.2", &status, &reason));
  EXPECT_FALSE(ParseStatusLine("HTTP/1.1 2x0 OK", &status, &reason));
  EXPECT_FALSE(ParseStatusLine("HTTP/1.1 2000 OK", &status, &reason));
}

TEST(ProbeArgs, TimeoutAndUsage) {
  ProbeArgs a;
  std::string err;
  ASSERT_TRUE(ParseProbeArgs({"--timeout", "250ms", "tcp://x:1"}, &a, &err)) << err;
  EXPECT_EQ(250, a.timeout.count());
  EXPECT_EQ("tcp://x:1", a.url);
  ASSERT_TRUE(ParseProbeArgs({"tcp://x:1", "--timeout=2"}, &a, &err)) << err;
  EXPECT_EQ(2000, a.timeout.count());
  EXPECT_FALSE(ParseProbeArgs({}, &a, &err));
  EXPECT_EQ("no URL given", err);
  EXPECT_FALSE(ParseProbeArgs({"tcp://x:1", "--timeout"}, &a, &err));
  EXPECT_EQ("option '--timeout' needs a value", err);
  EXPECT_FALSE(ParseProbeArgs({"tcp://x:1", "tcp://y:2"}, &a, &err));
  EXPECT_EQ("one URL only ('tcp://x:1' and 'tcp://y:2')", err);
}

// A real HTTP server on a free loopback port (tests/tools/http_stub.py).
class HttpStub : public testing::Test {
 protected:
  void SetUp() override {
    int out[2];
    ASSERT_EQ(0, pipe(out));
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      execlp("python3", "python3", STEWARD_SOURCE_DIR "/tests/tools/http_stub.py", nullptr);
      _exit(127);
    }
    close(out[1]);
    char buf[16] = {};
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    close(out[0]);
    if (n <= 0) GTEST_SKIP() << "python3 is not installed";
    port_ = atoi(buf);
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Runs the probe; returns its exit code, *out what it printed.
  int Probe(std::vector<std::string> args, std::string* out) {
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int rc = RunProbe(args);
    *out = testing::internal::GetCapturedStdout() + testing::internal::GetCapturedStderr();
    return rc;
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(HttpStub, TwoHundredAndRedirectPassFiveHundredFails) {
  std::string out;
  EXPECT_EQ(0, Probe({Url("/ok")}, &out));
  EXPECT_EQ(Url("/ok") + ": answered 200 OK\n", out);
  EXPECT_EQ(0, Probe({Url("/moved")}, &out));
  EXPECT_EQ(Url("/moved") + ": answered 302 Found\n", out);
  EXPECT_EQ(1, Probe({Url("/fail")}, &out));
  EXPECT_EQ("steward probe: " + Url("/fail") + ": answered 500 Internal Server Error\n", out);
  EXPECT_EQ(1, Probe({Url("/missing")}, &out));
  EXPECT_EQ("steward probe: " + Url("/missing") + ": answered 404 Not Found\n", out);
  EXPECT_EQ(1, Probe({Url("/garbage")}, &out));
  EXPECT_EQ("steward probe: " + Url("/garbage") + ": not an HTTP answer: 'SSH-2.0-OpenSSH_9.2'\n",
            out);
  std::string tcp = "tcp://127.0.0.1:" + std::to_string(port_);
  EXPECT_EQ(0, Probe({tcp}, &out));
  EXPECT_EQ(tcp + ": connected\n", out);
}

TEST_F(HttpStub, ASilentServerTimesOut) {
  std::string out;
  EXPECT_EQ(1, Probe({Url("/silent"), "--timeout", "300ms"}, &out));
  EXPECT_EQ("steward probe: " + Url("/silent") + ": no answer within 300ms\n", out);
}

TEST(Probe, AClosedPortIsRefused) {
  // A port that was free a moment ago: bound, then closed.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  std::string url = "tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  testing::internal::CaptureStderr();
  EXPECT_EQ(1, RunProbe({url}));
  EXPECT_EQ("steward probe: " + url + ": connect: Connection refused\n",
            testing::internal::GetCapturedStderr());
  testing::internal::CaptureStderr();
  EXPECT_EQ(2, RunProbe({"udp://127.0.0.1:1"}));
  EXPECT_EQ(
      "steward probe: 'udp://127.0.0.1:1' is not a probe URL (use tcp://HOST:PORT or "
      "http://HOST:PORT/PATH)\n",
      testing::internal::GetCapturedStderr());
}

}  // namespace
}  // namespace steward::tools
