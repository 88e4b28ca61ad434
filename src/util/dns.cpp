#include "steward/util/dns.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "steward/util/sockaddr.hpp"

namespace steward {

namespace {

constexpr double kQueryTimeout = 1.5;  // seconds per query and server

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename F>
void ForEachLine(std::string_view text, F f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    size_t hash = line.find_first_of("#;");
    f(Words(line.substr(0, hash)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(uint8_t(a[i])) != tolower(uint8_t(b[i]))) return false;
  }
  return true;
}

std::string ReadSmallFile(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && out.size() < (1 << 20)) out.append(buf, size_t(n));
  close(fd);
  return out;
}

uint16_t Get16(std::string_view p, size_t at) { return uint16_t((uint8_t(p[at]) << 8) | uint8_t(p[at + 1])); }

// Skips a (possibly compressed) name at *at. False when it runs off the packet.
bool SkipName(std::string_view p, size_t* at) {
  for (int labels = 0; labels < 128; ++labels) {
    if (*at >= p.size()) return false;
    uint8_t len = uint8_t(p[*at]);
    if (len == 0) {
      *at += 1;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {  // pointer: the name ends here for our purposes
      if (*at + 2 > p.size()) return false;
      *at += 2;
      return true;
    }
    if (len & 0xc0) return false;
    *at += 1 + size_t(len);
  }
  return false;
}

}  // namespace

ResolvConf ParseResolvConf(std::string_view text) {
  ResolvConf rc;
  ForEachLine(text, [&](const std::vector<std::string_view>& w) {
    if (w.size() >= 2 && w[0] == "nameserver") {
      std::string ns(w[1]);
      if (IsNumericAddress(ns)) rc.nameservers.push_back(ns);
    } else if (!w.empty() && (w[0] == "search" || w[0] == "domain")) {
      rc.search.clear();
      for (size_t i = 1; i < w.size(); ++i) rc.search.emplace_back(w[i]);
    } else if (!w.empty() && w[0] == "options") {
      for (size_t i = 1; i < w.size(); ++i) {
        if (w[i].substr(0, 6) == "ndots:") rc.ndots = atoi(std::string(w[i].substr(6)).c_str());
      }
    }
  });
  if (rc.nameservers.empty()) rc.nameservers.push_back("127.0.0.1");
  return rc;
}

std::string LookupHosts(std::string_view hosts, std::string_view name) {
  std::string found;
  ForEachLine(hosts, [&](const std::vector<std::string_view>& w) {
    if (!found.empty() || w.size() < 2) return;
    for (size_t i = 1; i < w.size(); ++i) {
      if (EqualNoCase(w[i], name)) {
        found = std::string(w[0]);
        return;
      }
    }
  });
  return found;
}

std::vector<std::string> SearchNames(const std::string& name, const ResolvConf& rc) {
  if (!name.empty() && name.back() == '.') return {name.substr(0, name.size() - 1)};
  int dots = 0;
  for (char c : name) dots += c == '.';
  std::vector<std::string> out;
  if (dots >= rc.ndots) out.push_back(name);
  for (const std::string& domain : rc.search) out.push_back(name + "." + domain);
  if (dots < rc.ndots) out.push_back(name);
  return out;
}

std::string BuildQuery(uint16_t id, std::string_view name, uint16_t type) {
  std::string q;
  auto put16 = [&](uint16_t v) {
    q.push_back(char(v >> 8));
    q.push_back(char(v & 0xff));
  };
  put16(id);
  put16(0x0100);  // recursion desired
  put16(1);       // one question
  put16(0), put16(0), put16(0);
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    q.push_back(char(std::min<size_t>(label.size(), 63)));
    q.append(label.substr(0, 63));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  q.push_back(0);
  put16(type);
  put16(1);  // class IN
  return q;
}

bool ParseResponse(std::string_view p, uint16_t id, uint16_t type, std::vector<std::string>* out,
                   int* rcode) {
  if (p.size() < 12 || Get16(p, 0) != id || !(uint8_t(p[2]) & 0x80)) return false;
  *rcode = uint8_t(p[3]) & 0x0f;
  uint16_t qd = Get16(p, 4), an = Get16(p, 6);
  size_t at = 12;
  for (uint16_t i = 0; i < qd; ++i) {
    if (!SkipName(p, &at) || at + 4 > p.size()) return false;
    at += 4;
  }
  for (uint16_t i = 0; i < an; ++i) {
    if (!SkipName(p, &at) || at + 10 > p.size()) return false;
    uint16_t rtype = Get16(p, at), rlen = Get16(p, at + 8);
    at += 10;
    if (at + rlen > p.size()) return false;
    char text[INET6_ADDRSTRLEN];
    if (rtype == type && type == kTypeA && rlen == 4) {
      out->push_back(inet_ntop(AF_INET, p.data() + at, text, sizeof text));
    } else if (rtype == type && type == kTypeAAAA && rlen == 16) {
      out->push_back(inet_ntop(AF_INET6, p.data() + at, text, sizeof text));
    }
    at += rlen;  // CNAMEs: the recursive server lists their targets too
  }
  return true;
}

bool IsNumericAddress(const std::string& text) {
  SocketAddress unused;
  return !text.empty() && text[0] != '[' && ToSocketAddress(text, 0, &unused);
}

DnsLookup::DnsLookup(struct ev_loop* loop) {
  io_.Bind<&DnsLookup::OnIo>(loop, this, -1, EV_READ);
  timer_.Bind<&DnsLookup::OnTimer>(loop, this);
}

DnsLookup::~DnsLookup() { Cancel(); }

void DnsLookup::Cancel() {
  io_.Stop();
  timer_.Stop();
  sock_.Reset();
  done_ = nullptr;
}

void DnsLookup::Start(const std::string& name, Done done, const std::string& hosts_path,
                      const std::string& resolv_path) {
  Cancel();
  done_ = std::move(done);
  name_ = name;
  queries_.clear();
  next_ = 0;
  last_error_ = "no answer";
  std::string known = IsNumericAddress(name) ? name : LookupHosts(ReadSmallFile(hosts_path), name);
  if (!known.empty() || EqualNoCase(name, "localhost")) {
    // Known at once; still answered from the loop, as promised.
    result_ = known.empty() ? "127.0.0.1" : known;
    immediate_ = true;
    timer_.Start(0.);
    return;
  }
  immediate_ = false;
  ResolvConf rc = ParseResolvConf(ReadSmallFile(resolv_path));
  for (const std::string& n : SearchNames(name, rc)) {
    for (uint16_t type : {kTypeA, kTypeAAAA}) {
      for (const std::string& ns : rc.nameservers) queries_.push_back({n, type, ns});
    }
  }
  Next();
}

void DnsLookup::Finish(bool ok, const std::string& text) {
  Done done = std::move(done_);
  Cancel();
  if (done) done(ok, text);
}

// Sends the next query; when none is left, reports the last error.
void DnsLookup::Next() {
  io_.Stop();
  timer_.Stop();
  sock_.Reset();
  if (next_ >= queries_.size()) {
    Finish(false, fmt::format("cannot resolve '{}': {}", name_, last_error_));
    return;
  }
  const Query& q = queries_[next_++];
  SocketAddress server;
  if (!ToSocketAddress(q.server, 53, &server)) {
    Next();
    return;
  }
  sock_.Reset(socket(server.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  id_ = uint16_t(ts.tv_nsec ^ (ts.tv_nsec >> 16) ^ getpid());
  std::string query = BuildQuery(id_, q.name, q.type);
  if (!sock_ || connect(sock_.get(), server.get(), server.len) != 0 ||
      send(sock_.get(), query.data(), query.size(), 0) < 0) {
    last_error_ = fmt::format("nameserver {}: {}", q.server, strerror(errno));
    Next();
    return;
  }
  io_.Set(sock_.get(), EV_READ);
  timer_.Start(kQueryTimeout);
}

void DnsLookup::OnIo() {
  char buf[1500];
  ssize_t n = recv(sock_.get(), buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    last_error_ = strerror(errno);
    Next();
    return;
  }
  const Query& q = queries_[next_ - 1];
  std::vector<std::string> addresses;
  int rcode = 0;
  if (!ParseResponse(std::string_view(buf, size_t(n)), id_, q.type, &addresses, &rcode)) {
    return;  // not the answer (stale or forged): keep waiting until the timeout
  }
  if (!addresses.empty()) {
    Finish(true, addresses.front());
    return;
  }
  last_error_ = rcode == 3 ? "no such name" : rcode ? fmt::format("server error {}", rcode) : "no address";
  if (rcode == 3) {
    // No such name: the other servers and types will say the same.
    while (next_ < queries_.size() && queries_[next_].name == q.name) ++next_;
  }
  Next();
}

void DnsLookup::OnTimer() {
  if (immediate_) {
    Finish(true, result_);
    return;
  }
  last_error_ = "timeout";
  Next();
}

}  // namespace steward
