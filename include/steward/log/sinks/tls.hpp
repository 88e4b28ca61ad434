// TLS for the stream sinks (SPEC §5: url = "tls://HOST:PORT", keys tls_ca,
// tls_cert, tls_key, tls_server_name, tls_verify), with mbedTLS. Runs only
// in the forwarder: PID 1 never links a call to it.
//
// A TlsContext is one sink's configuration: the CA bundle, the client
// certificate and key, the random generator. Load() reads the files (again
// at each attempt until it succeeds, so a certificate fixed on disk is
// picked up without a restart); NewSession() wraps one connected socket in
// a Transport whose Handshake() verifies the collector's certificate and
// name. Owns the mbedTLS state; a session borrows the context, which must
// outlive it.
#pragma once

#include <memory>
#include <string>

#include "steward/log/sinks/transport.hpp"

namespace steward::log {

struct TlsOptions {
  std::string ca = "/etc/ssl/certs/ca-certificates.crt";  // PEM bundle
  std::string cert, key;  // client certificate and its key, both or neither
  std::string server_name;  // the name the certificate must carry
  bool verify = true;  // false: any certificate is accepted (warned about)
};

class TlsContext {
 public:
  explicit TlsContext(TlsOptions options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads the files; a no-op once it has succeeded. False with *err
  // ("TLS: cannot read tls_ca /etc/ca.pem: No such file or directory").
  bool Load(std::string* err);
  // A TLS client session over the connected socket fd (after Load()).
  std::unique_ptr<Transport> NewSession(int fd);

 private:
  struct Impl;
  TlsOptions options_;
  std::unique_ptr<Impl> impl_;
};

// The words for a set of mbedTLS verification flags, as the user reads
// them after "TLS: " ("certificate has expired"). For tests.
std::string DescribeVerifyFlags(uint32_t flags, const std::string& server_name);

}  // namespace steward::log
