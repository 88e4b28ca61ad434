// Where a network sink sends (SPEC §5: `tcp://HOST:PORT`, `tls://HOST:PORT`,
// `udp://HOST:PORT`, `unix:///path`), how it connects, and how long it waits between attempts.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "steward/util/fd.hpp"
#include "steward/config/parse.hpp"

namespace steward::log {

struct Endpoint {
  enum class Kind { kTcp, kUdp, kUnix };
  Kind kind = Kind::kTcp;
  bool tls = false;  // tls://: TCP, then TLS (tls.hpp)
  std::string host;  // tcp, udp: name or address ("[::1]" given without brackets here)
  uint16_t port = 0;
  std::string path;  // unix
};

// "tcp://logs.internal:6514", "tls://logs.internal:6514", "udp://127.0.0.1:514",
// "tcp://[::1]:514", "unix:///dev/log". False with *err naming the problem.
bool ParseEndpoint(const std::string& url, Endpoint* out, std::string* err);

// Starts a non-blocking connection (close-on-exec) to ep, at the numeric
// address `address` for tcp and udp (see dns.hpp for names). Returns the
// socket, with *in_progress set when the caller must wait for it to become
// writable and then check SO_ERROR; an invalid fd with *err when it failed
// at once. For unix, a datagram socket is tried first (syslogd's /dev/log),
// then a stream one.
UniqueFd Connect(const Endpoint& ep, const std::string& address, bool* in_progress, std::string* err);

// Exponential back-off with jitter: 100 ms, 200 ms, ... up to 30 s, each
// delay drawn uniformly from [d/2, d] so that many stewards restarting
// together do not reconnect in step.
class Backoff {
 public:
  explicit Backoff(Duration first = Duration(100), Duration max = Duration(30000));
  Duration Next();
  void Reset() { current_ = Duration(0); }

 private:
  Duration first_, max_, current_{0};
  std::minstd_rand rng_;
};

}  // namespace steward::log
