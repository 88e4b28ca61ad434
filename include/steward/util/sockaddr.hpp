// A numeric IP address (text) and a port as a socket address, the one
// conversion every connect and bind of steward uses (sinks, DNS queries,
// probes). No name resolution here: names go through dns.hpp.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string_view>

namespace steward {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// "192.0.2.1", "2001:db8::1" or "[2001:db8::1]" (a URL's form) with port.
// False when ip is not such an address (a name, garbage, an empty text).
bool ToSocketAddress(std::string_view ip, uint16_t port, SocketAddress* out);

}  // namespace steward
