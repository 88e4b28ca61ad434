// `steward probe URL [--timeout D]` (SPEC §8): one TCP connection or one
// HTTP GET, exit 0 when it succeeds, 1 with the reason when it does not.
// A HEALTHCHECK or [healthcheck] test for images without curl.
//
// The parsing is pure (tested on its own); RunProbe does the I/O, with one
// deadline for everything: resolving, connecting, asking, answering.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "steward/config/parse.hpp"

namespace steward::tools {

struct ProbeTarget {
  enum class Kind { kTcp, kHttp };
  Kind kind = Kind::kTcp;
  std::string host;  // as written, brackets of an IPv6 address removed
  uint16_t port = 0;
  std::string path;  // http: "/" when the URL has none
};

// tcp://HOST:PORT or http://HOST[:PORT][/PATH] (port 80 by default).
bool ParseProbeUrl(std::string_view url, ProbeTarget* out, std::string* err);

// The status code of an HTTP/1.x status line ("HTTP/1.1 200 OK").
bool ParseStatusLine(std::string_view line, int* status, std::string* reason);

struct ProbeArgs {
  std::string url;
  Duration timeout = Duration(5000);
  bool help = false;
};
bool ParseProbeArgs(const std::vector<std::string>& args, ProbeArgs* out, std::string* err);

// Runs the probe: 0 (prints what answered), 1 (prints why not), 2 usage.
int RunProbe(const std::vector<std::string>& args);

const char* ProbeUsage();

}  // namespace steward::tools
