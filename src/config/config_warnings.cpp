// Configuration warnings: things that do not stop a start but that the
// user must hear about, said at start and by --check (Config::warnings).
#include <cstdlib>

#include <fmt/format.h>

#include "config_read.hpp"

namespace steward {

// A file that looks like a service but whose name breaks the rule: said,
// never skipped silently (a `Web.toml` would otherwise just not run).
std::string SkippedNameWarning(const std::string& path, const std::string& name) {
  std::string lower = name;
  for (char& c : lower) c = c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
  std::string hint = lower != name && ValidServiceName(lower)
                         ? fmt::format(" (rename it to {}.toml)", lower)
                         : "";
  return fmt::format("{}: skipped: a service name must match [a-z0-9][a-z0-9_.-]* "
                     "(lower-case ASCII letters, digits, '_', '.', '-'){}",
                     path, hint);
}

// RFC 3164 stamps carry local time and no zone: a collector elsewhere
// files every line hours off. One warning, naming every such sink.
std::string Rfc3164ZoneWarning(const LogConfig& log, long utc_offset, const std::string& zone) {
  if (utc_offset == 0) return "";
  std::string sinks;
  for (const SinkConfig& s : log.sinks) {
    if (s.rfc3164) sinks += fmt::format("{}'{}'", sinks.empty() ? "" : ", ", s.name);
  }
  if (sinks.empty()) return "";
  long minutes = std::labs(utc_offset) / 60;
  return fmt::format(
      "log sink {}: format = \"rfc3164\" stamps local time without a zone, and the local zone "
      "({}) is UTC{}{:02}:{:02}: a collector in another zone files these lines hours off; use "
      "format = \"rfc5424\" (UTC, with the zone), or run steward with TZ=UTC",
      sinks, zone, utc_offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

}  // namespace steward
