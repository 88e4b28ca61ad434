// steward probe: a one-shot TCP or HTTP check with one deadline, for
// HEALTHCHECK in images that have no curl or wget.
#include "steward/tools/probe.hpp"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <fmt/format.h>

#include "steward/util/args.hpp"
#include "steward/util/dns.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/sockaddr.hpp"
#include "steward/util/watcher.hpp"

namespace steward::tools {

namespace {

constexpr size_t kMaxHead = 8192;  // a status line longer than this is not HTTP

bool ParsePort(std::string_view s, uint16_t* port) {
  uint64_t p;
  if (!ParseUnsigned(s, &p) || p < 1 || p > 65535) return false;
  *port = uint16_t(p);
  return true;
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct LoopBreaker {
  struct ev_loop* loop;
  void Break() { ev_break(loop, EVBREAK_ALL); }
};

// A name to an address within the deadline: numeric and localhost at once,
// else /etc/hosts and the nameservers (the forwarder's resolver: no NSS).
bool Resolve(const std::string& host, int64_t deadline, std::string* ip, std::string* err) {
  if (host == "localhost") {
    *ip = "127.0.0.1";
    return true;
  }
  if (IsNumericAddress(host)) {
    *ip = host;
    return true;
  }
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
  if (!loop) {
    *err = "cannot initialise the event loop (libev)";
    return false;
  }
  bool done = false, ok = false;
  {
    DnsLookup lookup(loop);
    lookup.Start(host, [&](bool good, const std::string& text) {
      done = true;
      ok = good;
      (good ? *ip : *err) = text;
      ev_break(loop, EVBREAK_ALL);
    });
    LoopBreaker breaker{loop};
    TimerWatcher limit;
    limit.Bind<&LoopBreaker::Break>(loop, &breaker);
    limit.Start(double(std::max<int64_t>(deadline - NowMs(), 0)) / 1000);
    ev_run(loop, 0);
  }
  ev_loop_destroy(loop);
  if (!done) *err = fmt::format("cannot resolve {}: timed out", host);
  else if (!ok) *err = fmt::format("cannot resolve {}: {}", host, *err);
  return ok;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool WaitFor(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - NowMs();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, int(std::min<int64_t>(left, 1 << 30)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the next call report it
  }
}

UniqueFd Connect(const std::string& ip, uint16_t port, int64_t deadline,
                 const std::string& timeout_text, std::string* err) {
  SocketAddress sa;
  if (!ToSocketAddress(ip, port, &sa)) {
    *err = fmt::format("'{}' is not an address", ip);
    return UniqueFd();
  }
  UniqueFd fd(socket(sa.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    *err = fmt::format("socket: {}", strerror(errno));
    return fd;
  }
  int rc = connect(fd.get(), sa.get(), sa.len);
  if (rc < 0 && errno != EINPROGRESS) {
    *err = fmt::format("connect: {}", strerror(errno));
    return UniqueFd();
  }
  if (rc < 0) {
    if (!WaitFor(fd.get(), POLLOUT, deadline)) {
      *err = fmt::format("no connection within {}", timeout_text);
      return UniqueFd();
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
      *err = fmt::format("connect: {}", strerror(soerr));
      return UniqueFd();
    }
  }
  return fd;
}

// GET path; true with the status line's code and reason, or *err.
bool HttpGet(int fd, const ProbeTarget& t, int64_t deadline, const std::string& timeout_text,
             int* status, std::string* reason, std::string* err) {
  std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  std::string req = fmt::format(
      "GET {} HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: steward-probe\r\nAccept: */*\r\n"
      "Connection: close\r\n\r\n",
      t.path, host, t.port);
  std::string_view rest = req;
  while (!rest.empty()) {
    if (!WaitFor(fd, POLLOUT, deadline)) {
      *err = fmt::format("request not sent within {}", timeout_text);
      return false;
    }
    ssize_t n = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      *err = fmt::format("send: {}", strerror(errno));
      return false;
    }
    rest.remove_prefix(size_t(n));
  }
  std::string head;
  for (;;) {
    size_t eol = head.find('\n');
    if (eol != std::string::npos) {
      std::string_view line(head.data(), eol);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (ParseStatusLine(line, status, reason)) return true;
      *err = fmt::format("not an HTTP answer: '{}'", line.substr(0, 80));
      return false;
    }
    if (head.size() >= kMaxHead) {
      *err = "not an HTTP answer: no status line in the first 8 KiB";
      return false;
    }
    if (!WaitFor(fd, POLLIN, deadline)) {
      *err = fmt::format("no answer within {}", timeout_text);
      return false;
    }
    char buf[1024];
    ssize_t n = recv(fd, buf, std::min(sizeof buf, kMaxHead - head.size()), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      *err = fmt::format("recv: {}", strerror(errno));
      return false;
    }
    if (n == 0) {
      *err = head.empty() ? "the connection was closed without an answer"
                          : "the connection was closed in the middle of the status line";
      return false;
    }
    head.append(buf, size_t(n));
  }
}

}  // namespace

bool ParseProbeUrl(std::string_view url, ProbeTarget* out, std::string* err) {
  *out = ProbeTarget();
  std::string_view rest;
  if (url.substr(0, 6) == "tcp://") {
    out->kind = ProbeTarget::Kind::kTcp;
    rest = url.substr(6);
  } else if (url.substr(0, 7) == "http://") {
    out->kind = ProbeTarget::Kind::kHttp;
    rest = url.substr(7);
  } else {
    *err = url.substr(0, 8) == "https://"
               ? fmt::format("'{}': https is not supported (probe the plain port, or use tcp://)",
                             url)
               : fmt::format("'{}' is not a probe URL (use tcp://HOST:PORT or "
                             "http://HOST:PORT/PATH)",
                             url);
    return false;
  }
  std::string_view authority = rest, path = "/";
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash);
  }
  if (out->kind == ProbeTarget::Kind::kTcp && path != "/") {
    *err = fmt::format("'{}': a tcp:// URL has no path", url);
    return false;
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *err = fmt::format("'{}': unclosed '[' in the address", url);
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *err = fmt::format("'{}': expected ':PORT' after ']'", url);
        return false;
      }
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      *err = fmt::format("'{}': an IPv6 address needs brackets ([::1]:80)", url);
      return false;
    }
  }
  if (host.empty()) {
    *err = fmt::format("'{}' names no host", url);
    return false;
  }
  out->host.assign(host);
  if (port.empty()) {
    if (out->kind == ProbeTarget::Kind::kTcp) {
      *err = fmt::format("'{}' needs a port (tcp://HOST:PORT)", url);
      return false;
    }
    out->port = 80;
  } else if (!ParsePort(port, &out->port)) {
    *err = fmt::format("'{}': invalid port '{}' (use 1 to 65535)", url, port);
    return false;
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      *err = fmt::format("'{}': the path has a space or control character (percent-encode it)",
                         url);
      return false;
    }
  }
  out->path.assign(path);
  return true;
}

bool ParseStatusLine(std::string_view line, int* status, std::string* reason) {
  // "HTTP/1.1 200 OK": version, one space, three digits, then the reason.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  std::string_view code = line.substr(9, 3);
  for (char c : code)
    if (c < '0' || c > '9') return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  *status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  // The reason is the server's text: printable ASCII only, and short.
  reason->clear();
  for (char c : line.substr(std::min<size_t>(line.size(), 13)).substr(0, 80))
    reason->push_back(c >= ' ' && c < 0x7f ? c : '?');
  return true;
}

const char* ProbeUsage() {
  return "usage: steward probe tcp://HOST:PORT | http://HOST[:PORT]/PATH [--timeout DUR]\n"
         "  exit 0 when the port accepts a connection, or the page answers 2xx or 3xx,\n"
         "  within the timeout (default 5s); else 1 with the reason\n";
}

bool ParseProbeArgs(const std::vector<std::string>& args, ProbeArgs* out, std::string* err) {
  *out = ProbeArgs();
  ArgSpec spec;
  spec.options = {
      {"--help", 'h', false,
       [out](const std::string&, std::string*) { return out->help = true; }},
      {"--timeout", 0, true,
       [out](const std::string& v, std::string* why) {
         if (!ParseDuration(v, &out->timeout, why)) {
           *why = "--timeout: " + *why;
           return false;
         }
         if (out->timeout.count() <= 0) {
           *why = "--timeout: must be more than 0";
           return false;
         }
         return true;
       }},
  };
  spec.word = [out](const std::string& a, std::string* why) {
    if (!out->url.empty()) {
      *why = fmt::format("one URL only ('{}' and '{}')", out->url, a);
      return false;
    }
    out->url = a;
    return true;
  };
  if (!ParseArgs(args, 0, spec, err)) return false;
  if (out->url.empty() && !out->help) {
    *err = "no URL given";
    return false;
  }
  return true;
}

int RunProbe(const std::vector<std::string>& args) {
  ProbeArgs a;
  std::string err;
  if (!ParseProbeArgs(args, &a, &err)) {
    WriteAll(STDERR_FILENO, fmt::format("steward probe: {}\n{}", err, ProbeUsage()));
    return 2;
  }
  if (a.help) {
    WriteAll(STDOUT_FILENO, ProbeUsage());
    return 0;
  }
  ProbeTarget t;
  if (!ParseProbeUrl(a.url, &t, &err)) {
    WriteAll(STDERR_FILENO, fmt::format("steward probe: {}\n", err));
    return 2;
  }
  auto fail = [&](const std::string& why) {
    WriteAll(STDERR_FILENO, fmt::format("steward probe: {}: {}\n", a.url, why));
    return 1;
  };
  std::string timeout_text = FormatDuration(a.timeout);
  int64_t deadline = NowMs() + a.timeout.count();
  std::string ip;
  if (!Resolve(t.host, deadline, &ip, &err)) return fail(err);
  UniqueFd fd = Connect(ip, t.port, deadline, timeout_text, &err);
  if (!fd) return fail(err);
  if (t.kind == ProbeTarget::Kind::kTcp) {
    WriteAll(STDOUT_FILENO, fmt::format("{}: connected\n", a.url));
    return 0;
  }
  int status = 0;
  std::string reason;
  if (!HttpGet(fd.get(), t, deadline, timeout_text, &status, &reason, &err)) return fail(err);
  std::string answer = reason.empty() ? fmt::format("{}", status)
                                      : fmt::format("{} {}", status, reason);
  if (status < 200 || status >= 400) return fail("answered " + answer);
  WriteAll(STDOUT_FILENO, fmt::format("{}: answered {}\n", a.url, answer));
  return 0;
}

}  // namespace steward::tools
