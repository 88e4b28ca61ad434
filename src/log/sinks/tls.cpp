// mbedTLS behind the Transport seam: a non-blocking TLS 1.2 client session
// per connection, and the configuration (CA, client certificate) per sink.
#include "steward/log/sinks/tls.hpp"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <fmt/format.h>

#include "steward/util/safe_path.hpp"

namespace steward::log {

namespace {

std::string MbedError(int code) {
  char buf[160];
  mbedtls_strerror(code, buf, sizeof buf);
  return buf;
}

// Reads a PEM (or DER) file the way every root-side read goes
// (util/safe_path.hpp: no link a service could have put, no FIFO that
// would block the forwarder, bounded), NUL-terminated as mbedTLS wants PEM.
// The reason when not: mbedTLS only says "file I/O error".
bool ReadPem(const char* key, const std::string& path, std::string* content, std::string* err) {
  constexpr size_t kMaxPem = 8 << 20;  // a system CA bundle is ~200 KB
  PathError e;
  if (!ReadSafely(path, kMaxPem, content, &e)) {
    *err = fmt::format("TLS: cannot read {} {}", key, e.text);
    return false;
  }
  content->push_back('\0');
  return true;
}

const unsigned char* Bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string DescribeVerifyFlags(uint32_t flags, const std::string& server_name) {
  struct Known {
    uint32_t flag;
    std::string text;
  };
  const Known known[] = {
      {MBEDTLS_X509_BADCERT_NOT_TRUSTED, "certificate is not signed by a trusted CA (tls_ca)"},
      {MBEDTLS_X509_BADCERT_EXPIRED, "certificate has expired"},
      {MBEDTLS_X509_BADCERT_FUTURE, "certificate is not valid yet"},
      {MBEDTLS_X509_BADCERT_CN_MISMATCH,
       fmt::format("certificate does not match the name '{}' (tls_server_name)", server_name)},
      {MBEDTLS_X509_BADCERT_REVOKED, "certificate has been revoked"},
  };
  std::string out;
  uint32_t rest = flags;
  for (const Known& k : known) {
    if (!(flags & k.flag)) continue;
    rest &= ~k.flag;
    if (!out.empty()) out += ", ";
    out += k.text;
  }
  if (rest != 0) {
    char buf[512];
    int n = mbedtls_x509_crt_verify_info(buf, sizeof buf, "", rest);
    std::string more = n > 0 ? std::string(buf, size_t(n)) : fmt::format("flags {:#x}", rest);
    while (!more.empty() && more.back() == '\n') more.pop_back();
    for (char& c : more) c = c == '\n' ? ',' : c;
    if (!out.empty()) out += ", ";
    out += "certificate not accepted: " + more;
  }
  return out;
}

struct TlsContext::Impl {
  Impl() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&cert);
    mbedtls_pk_init(&key);
  }
  ~Impl() {
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&cert);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ssl_config_free(&conf);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca, cert;
  mbedtls_pk_context key;
};

namespace {

class TlsSession : public Transport {
 public:
  TlsSession(mbedtls_ssl_config* conf, int fd, const std::string& server_name, bool has_cert)
      : fd_(fd), server_name_(server_name), has_cert_(has_cert) {
    mbedtls_ssl_init(&ssl_);
    setup_ = mbedtls_ssl_setup(&ssl_, conf);
    if (setup_ == 0) setup_ = mbedtls_ssl_set_hostname(&ssl_, server_name.c_str());
    mbedtls_ssl_set_bio(&ssl_, this, &TlsSession::Send, &TlsSession::Recv, nullptr);
  }
  ~TlsSession() override { mbedtls_ssl_free(&ssl_); }

  Io Handshake(std::string* err) override {
    int r = setup_ != 0 ? setup_ : mbedtls_ssl_handshake(&ssl_);
    if (r == 0) return Io::kOk;
    if (r == MBEDTLS_ERR_SSL_WANT_READ) return Io::kWantRead;
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) return Io::kWantWrite;
    uint32_t flags = mbedtls_ssl_get_verify_result(&ssl_);
    if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != uint32_t(-1)) {
      *err = "TLS: " + DescribeVerifyFlags(flags, server_name_);
    } else {
      *err = "TLS: handshake failed: " + Reason(r);
      // A collector that wants a client certificate just hangs up.
      if (!has_cert_ && (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || r == MBEDTLS_ERR_SSL_CONN_EOF ||
                         sock_errno_ != 0))
        *err += " (does the collector want a client certificate? see tls_cert, tls_key)";
    }
    return Io::kError;
  }

  Io Write(const char* p, size_t n, size_t* done, std::string* err) override {
    int r = mbedtls_ssl_write(&ssl_, reinterpret_cast<const unsigned char*>(p), n);
    if (r > 0) {
      *done = size_t(r);
      return Io::kOk;
    }
    return Failed(r, err);
  }

  Io Read(char* p, size_t n, size_t* got, std::string* err) override {
    int r = mbedtls_ssl_read(&ssl_, reinterpret_cast<unsigned char*>(p), n);
    if (r > 0) {
      *got = size_t(r);
      return Io::kOk;
    }
    if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return Io::kClosed;
    return Failed(r, err);
  }

  uint64_t wire_written() const override { return written_; }

 private:
  Io Failed(int r, std::string* err) {
    if (r == MBEDTLS_ERR_SSL_WANT_READ) return Io::kWantRead;
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) return Io::kWantWrite;
    *err = "TLS: " + Reason(r);
    return Io::kError;
  }

  // A socket error is told as the socket's own (errno), not mbedTLS's.
  std::string Reason(int r) const {
    if (sock_errno_ != 0) return strerror(sock_errno_);
    if (r == MBEDTLS_ERR_SSL_CONN_EOF) return "connection closed by the collector";
    return MbedError(r);
  }

  static int Send(void* ctx, const unsigned char* buf, size_t len) {
    auto* self = static_cast<TlsSession*>(ctx);
    for (;;) {
      ssize_t n = send(self->fd_, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) {
        self->written_ += uint64_t(n);
        return int(n);
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
      self->sock_errno_ = errno;
      return MBEDTLS_ERR_NET_SEND_FAILED;
    }
  }

  static int Recv(void* ctx, unsigned char* buf, size_t len) {
    auto* self = static_cast<TlsSession*>(ctx);
    for (;;) {
      ssize_t n = recv(self->fd_, buf, len, MSG_DONTWAIT);
      if (n >= 0) return int(n);  // 0: end of stream, which mbedTLS reports as such
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_READ;
      self->sock_errno_ = errno;
      return MBEDTLS_ERR_NET_RECV_FAILED;
    }
  }

  mbedtls_ssl_context ssl_;
  int setup_ = 0;
  int fd_;
  std::string server_name_;
  bool has_cert_;
  uint64_t written_ = 0;
  int sock_errno_ = 0;
};

}  // namespace

TlsContext::TlsContext(TlsOptions options) : options_(std::move(options)) {}
TlsContext::~TlsContext() = default;

bool TlsContext::Load(std::string* err) {
  if (impl_) return true;
  auto impl = std::make_unique<Impl>();
  const char personal[] = "steward-log";
  int r = mbedtls_ctr_drbg_seed(&impl->drbg, mbedtls_entropy_func, &impl->entropy,
                                reinterpret_cast<const unsigned char*>(personal), sizeof personal - 1);
  if (r != 0) {
    *err = "TLS: cannot seed the random generator: " + MbedError(r);
    return false;
  }
  r = mbedtls_ssl_config_defaults(&impl->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT);
  if (r != 0) {
    *err = "TLS: " + MbedError(r);
    return false;
  }
  // TLS 1.2 at least (mbedTLS 2.28 has no stable 1.3).
  mbedtls_ssl_conf_min_version(&impl->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_rng(&impl->conf, mbedtls_ctr_drbg_random, &impl->drbg);
  if (options_.verify) {
    std::string pem;
    if (!ReadPem("tls_ca", options_.ca, &pem, err)) return false;
    // A positive result counts certificates of the bundle that could not be
    // parsed (a system bundle may hold a few); fine while some could.
    r = mbedtls_x509_crt_parse(&impl->ca, Bytes(pem), pem.size());
    if (r < 0 || impl->ca.version == 0) {
      *err = fmt::format("TLS: tls_ca {} holds no usable PEM certificate{}", options_.ca,
                         r < 0 ? ": " + MbedError(r) : "");
      return false;
    }
    mbedtls_ssl_conf_ca_chain(&impl->conf, &impl->ca, nullptr);
    mbedtls_ssl_conf_authmode(&impl->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  } else {
    mbedtls_ssl_conf_authmode(&impl->conf, MBEDTLS_SSL_VERIFY_NONE);
  }
  if (!options_.cert.empty()) {
    std::string cert, key;
    if (!ReadPem("tls_cert", options_.cert, &cert, err) || !ReadPem("tls_key", options_.key, &key, err)) {
      return false;
    }
    r = mbedtls_x509_crt_parse(&impl->cert, Bytes(cert), cert.size());
    if (r != 0) {
      *err = fmt::format("TLS: tls_cert {}: {}", options_.cert, MbedError(r));
      return false;
    }
    r = mbedtls_pk_parse_key(&impl->key, Bytes(key), key.size(), nullptr, 0);
    mbedtls_platform_zeroize(key.data(), key.size());
    if (r != 0) {
      *err = fmt::format("TLS: tls_key {}: {}", options_.key, MbedError(r));
      return false;
    }
    r = mbedtls_ssl_conf_own_cert(&impl->conf, &impl->cert, &impl->key);
    if (r != 0) {
      *err = fmt::format("TLS: tls_cert {} and tls_key {}: {}", options_.cert, options_.key,
                         MbedError(r));
      return false;
    }
  }
  impl_ = std::move(impl);
  return true;
}

std::unique_ptr<Transport> TlsContext::NewSession(int fd) {
  return std::make_unique<TlsSession>(&impl_->conf, fd, options_.server_name, !options_.cert.empty());
}

}  // namespace steward::log
