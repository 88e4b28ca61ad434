#include "steward/log/sinks/endpoint.hpp"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/sockaddr.hpp"

namespace steward::log {

bool ParseEndpoint(const std::string& url, Endpoint* out, std::string* err) {
  size_t sep = url.find("://");
  std::string scheme = sep == std::string::npos ? "" : url.substr(0, sep);
  std::string rest = sep == std::string::npos ? "" : url.substr(sep + 3);
  if (scheme == "unix") {
    if (rest.empty() || rest[0] != '/') {
      *err = fmt::format("invalid url '{}': expected unix:///absolute/path", url);
      return false;
    }
    out->kind = Endpoint::Kind::kUnix;
    out->tls = false;
    out->path = rest;
    return true;
  }
  if (scheme != "tcp" && scheme != "udp" && scheme != "tls") {
    *err = fmt::format(
        "invalid url '{}': expected tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT or unix:///PATH",
        url);
    return false;
  }
  out->kind = scheme == "udp" ? Endpoint::Kind::kUdp : Endpoint::Kind::kTcp;
  out->tls = scheme == "tls";
  size_t colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? "" : rest.substr(0, colon);
  uint64_t port = 0;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || !ParseUnsigned(rest.substr(colon + 1), &port) || port == 0 || port > 65535) {
    *err = fmt::format("invalid url '{}': expected {}://HOST:PORT", url, scheme);
    return false;
  }
  out->host = host;
  out->port = uint16_t(port);
  return true;
}

namespace {

UniqueFd Start(int family, int type, const struct sockaddr* addr, socklen_t len, bool* in_progress,
               int* error) {
  UniqueFd fd(socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    *error = errno;
    return fd;
  }
  if (connect(fd.get(), addr, len) == 0) {
    *in_progress = false;
    return fd;
  }
  if (errno == EINPROGRESS) {
    *in_progress = true;
    return fd;
  }
  *error = errno;
  fd.Reset();
  return fd;
}

}  // namespace

UniqueFd Connect(const Endpoint& ep, const std::string& address, bool* in_progress, std::string* err) {
  int error = 0;
  if (ep.kind == Endpoint::Kind::kUnix) {
    struct sockaddr_un sun = {};
    sun.sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof sun.sun_path) {
      *err = "socket path too long";
      return UniqueFd();
    }
    memcpy(sun.sun_path, ep.path.c_str(), ep.path.size() + 1);
    auto addr = reinterpret_cast<const struct sockaddr*>(&sun);
    UniqueFd fd = Start(AF_UNIX, SOCK_DGRAM, addr, sizeof sun, in_progress, &error);
    if (!fd && error == EPROTOTYPE) fd = Start(AF_UNIX, SOCK_STREAM, addr, sizeof sun, in_progress, &error);
    if (!fd) *err = fmt::format("connect(unix://{}): {}", ep.path, strerror(error));
    return fd;
  }
  int type = ep.kind == Endpoint::Kind::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  SocketAddress sa;
  if (!ToSocketAddress(address, ep.port, &sa)) {
    *err = fmt::format("not an address: '{}'", address);
    return UniqueFd();
  }
  UniqueFd fd = Start(sa.family(), type, sa.get(), sa.len, in_progress, &error);
  if (!fd) *err = fmt::format("connect({}:{}): {}", address, ep.port, strerror(error));
  return fd;
}

Backoff::Backoff(Duration first, Duration max)
    : first_(first), max_(max), rng_(uint32_t(time(nullptr)) ^ uint32_t(getpid())) {}

Duration Backoff::Next() {
  current_ = current_.count() == 0 ? first_ : std::min(max_, current_ * 2);
  int64_t half = current_.count() / 2;
  std::uniform_int_distribution<int64_t> dist(current_.count() - half, current_.count());
  return Duration(dist(rng_));
}

}  // namespace steward::log
