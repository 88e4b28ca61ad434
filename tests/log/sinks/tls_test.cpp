#include "steward/log/sinks/tls.hpp"

#include <mbedtls/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace steward::log {
namespace {

TEST(Tls, VerifyFlagsInWords) {
  EXPECT_EQ("certificate has expired", DescribeVerifyFlags(MBEDTLS_X509_BADCERT_EXPIRED, "h"));
  EXPECT_EQ("certificate is not signed by a trusted CA (tls_ca)",
            DescribeVerifyFlags(MBEDTLS_X509_BADCERT_NOT_TRUSTED, "h"));
  EXPECT_EQ("certificate does not match the name 'logs.example' (tls_server_name)",
            DescribeVerifyFlags(MBEDTLS_X509_BADCERT_CN_MISMATCH, "logs.example"));
  EXPECT_EQ("certificate has expired, certificate does not match the name 'h' (tls_server_name)",
            DescribeVerifyFlags(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_CN_MISMATCH, "h"));
  EXPECT_EQ(0u, DescribeVerifyFlags(MBEDTLS_X509_BADCERT_KEY_USAGE, "h").find("certificate not accepted: "));
}

TEST(Tls, LoadNamesTheFileItCannotRead) {
  TlsOptions o;
  o.ca = "/nonexistent/ca.pem";
  TlsContext t(o);
  std::string err;
  EXPECT_FALSE(t.Load(&err));
  EXPECT_EQ("TLS: cannot read tls_ca /nonexistent/ca.pem: No such file or directory", err);
}

TEST(Tls, LoadRejectsAFileWithoutCertificates) {
  char path[] = "/tmp/steward-tls-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(9, write(fd, "not a pem", 9));
  close(fd);
  TlsOptions o;
  o.ca = path;
  TlsContext t(o);
  std::string err;
  EXPECT_FALSE(t.Load(&err));
  EXPECT_EQ(0u, err.find(std::string("TLS: tls_ca ") + path + " holds no usable PEM certificate")) << err;
  unlink(path);
}

TEST(Tls, VerifyOffNeedsNoBundle) {
  TlsOptions o;
  o.ca = "/nonexistent/ca.pem";
  o.verify = false;
  TlsContext t(o);
  std::string err;
  EXPECT_TRUE(t.Load(&err)) << err;
}

}  // namespace
}  // namespace steward::log
