// Text to sockaddr (see sockaddr.hpp).
#include "steward/util/sockaddr.hpp"

#include <arpa/inet.h>

#include <string>

namespace steward {

bool ToSocketAddress(std::string_view ip, uint16_t port, SocketAddress* out) {
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  std::string text(ip);  // inet_pton wants a terminated string
  *out = SocketAddress();
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out->len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out->len = sizeof *v6;
    return true;
  }
  *out = SocketAddress();
  return false;
}

}  // namespace steward
