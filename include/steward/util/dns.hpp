// Host name resolution for network sinks, without glibc's NSS: in a static
// binary getaddrinfo() would add some 200 KB and still depend on shared
// libraries at run time. Numeric addresses and /etc/hosts are answered at
// once; other names are asked of the nameservers in /etc/resolv.conf over
// UDP, with its `search` list and `ndots` (Kubernetes service names), one
// query at a time and never blocking the forwarder's loop.
//
// DNS answers are untrusted input: the parser checks every length and
// follows no pointer outside the packet.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"

namespace steward {

struct ResolvConf {
  std::vector<std::string> nameservers;  // addresses; 127.0.0.1 when none is listed
  std::vector<std::string> search;
  int ndots = 1;
};

ResolvConf ParseResolvConf(std::string_view text);

// The first address listed for name in a hosts file's text, or "".
std::string LookupHosts(std::string_view hosts, std::string_view name);

// The names to query for name, in order, as resolv.conf(5) says: with fewer
// than ndots dots, the search domains first; a trailing dot means absolute.
std::vector<std::string> SearchNames(const std::string& name, const ResolvConf& rc);

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAAAA = 28;

// A recursive query for name and type.
std::string BuildQuery(uint16_t id, std::string_view name, uint16_t type);

// The addresses (text form) of the given type in a response to query id.
// *rcode is the response code (3: no such name). False when the packet is
// not a well-formed response to that query.
bool ParseResponse(std::string_view packet, uint16_t id, uint16_t type,
                   std::vector<std::string>* addresses, int* rcode);

// True when text is an IPv4 or IPv6 address.
bool IsNumericAddress(const std::string& text);

// One asynchronous resolution on a libev loop. done() is always called
// from the loop, never from Start(), once with an address or an error.
class DnsLookup {
 public:
  using Done = std::function<void(bool ok, const std::string& address_or_error)>;
  explicit DnsLookup(struct ev_loop* loop);
  ~DnsLookup();
  DnsLookup(const DnsLookup&) = delete;
  DnsLookup& operator=(const DnsLookup&) = delete;

  // Reads /etc/hosts and /etc/resolv.conf (paths replaceable for tests).
  void Start(const std::string& name, Done done, const std::string& hosts_path = "/etc/hosts",
             const std::string& resolv_path = "/etc/resolv.conf");
  void Cancel();
  bool active() const { return bool(done_); }

 private:
  struct Query {
    std::string name;
    uint16_t type;
    std::string server;
  };
  void OnIo();
  void OnTimer();
  void Next();
  void Finish(bool ok, const std::string& text);

  Done done_;
  std::vector<Query> queries_;
  size_t next_ = 0;
  std::string name_;
  std::string last_error_;
  std::string result_;  // for a result known at once, delivered by the timer
  bool immediate_ = false;
  UniqueFd sock_;
  uint16_t id_ = 0;
  IoWatcher io_;        // the query's socket
  TimerWatcher timer_;  // the query's timeout, or a result known at once
};

}  // namespace steward
