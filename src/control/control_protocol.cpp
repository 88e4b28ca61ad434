// The pure half of the control socket (control.hpp): wire format, verb
// parsing and the text of answers. No I/O here, so the client and PID 1
// share it and the unit tests cover it exactly.
#include <sys/wait.h>

#include <fmt/format.h>

#include <algorithm>

#include "steward/control/control.hpp"
#include "steward/util/exit_status.hpp"
#include "steward/util/json.hpp"
#include "steward/config/parse.hpp"
#include "steward/util/signals.hpp"

namespace steward {

// ---- wire protocol ----------------------------------------------------------

bool EncodeRequest(const std::vector<std::string>& args, std::string* out, std::string* err) {
  if (args.size() > kMaxRequestArgs) {
    *err = fmt::format("too many arguments (at most {})", kMaxRequestArgs);
    return false;
  }
  std::string req(kCtlMagic);
  req += '\0';
  for (const std::string& a : args) {
    if (a.empty()) {
      *err = "empty argument";
      return false;
    }
    if (a.find('\0') != std::string::npos) {
      *err = "argument contains a NUL byte";
      return false;
    }
    req += a;
    req += '\0';
  }
  req += '\0';
  if (req.size() > kMaxRequestBytes) {
    *err = fmt::format("request too large (at most {} bytes)", kMaxRequestBytes);
    return false;
  }
  *out = std::move(req);
  return true;
}

Decode DecodeRequest(std::string_view buf, std::vector<std::string>* args, std::string* err) {
  std::vector<std::string> parsed;
  size_t pos = 0;
  bool magic = false;
  while (true) {
    size_t nul = buf.find('\0', pos);
    if (nul == std::string_view::npos) break;
    std::string_view arg = buf.substr(pos, nul - pos);
    pos = nul + 1;
    if (!magic) {
      if (arg != kCtlMagic) {
        *err = fmt::format("not a steward ctl request (expected protocol {})", kCtlMagic);
        return Decode::kInvalid;
      }
      magic = true;
      continue;
    }
    if (arg.empty()) {  // the terminator
      if (pos != buf.size()) {
        *err = "unexpected bytes after the request";
        return Decode::kInvalid;
      }
      *args = std::move(parsed);
      return Decode::kComplete;
    }
    if (parsed.size() == kMaxRequestArgs) {
      *err = fmt::format("too many arguments (at most {})", kMaxRequestArgs);
      return Decode::kInvalid;
    }
    parsed.emplace_back(arg);
  }
  // A wrong magic is known as soon as its length has arrived.
  if (!magic && buf.substr(0, std::min(buf.size(), kCtlMagic.size())) !=
                    kCtlMagic.substr(0, std::min(buf.size(), kCtlMagic.size()))) {
    *err = fmt::format("not a steward ctl request (expected protocol {})", kCtlMagic);
    return Decode::kInvalid;
  }
  if (buf.size() >= kMaxRequestBytes) {
    *err = fmt::format("request too large (at most {} bytes)", kMaxRequestBytes);
    return Decode::kInvalid;
  }
  return Decode::kIncomplete;
}

std::string EncodeResponse(int exit_code, std::string_view text) {
  return fmt::format("{}\n{}", exit_code, text);
}

bool DecodeResponse(std::string_view buf, int* exit_code, std::string* text) {
  size_t nl = buf.find('\n');
  if (nl == std::string_view::npos || nl == 0 || nl > 3) return false;
  uint64_t code;
  if (!ParseUnsigned(buf.substr(0, nl), &code) || code > 255) return false;
  *exit_code = int(code);
  *text = std::string(buf.substr(nl + 1));
  return true;
}

// ---- answers -----------------------------------------------------------------

std::string FormatUptime(Clock::duration d) {
  long long s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 0) s = 0;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
}

std::string FormatLastExit(const ServiceStatus& s) {
  if (!s.has_exited) return "-";
  if (WIFSIGNALED(s.last_status)) return SignalName(WTERMSIG(s.last_status));
  return fmt::format("{}", ExitCodeOf(s.last_status));
}

namespace {

bool Running(const ServiceStatus& s) { return s.pid > 0; }

// Rows of cells -> text: each column as wide as its widest cell, two spaces
// between columns, no trailing blanks.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace

std::string FormatStatusTable(const std::vector<ServiceStatus>& services,
                              const std::vector<SinkDrops>& sinks) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "READY", "HEALTH", "LAST EXIT"}};
  for (const ServiceStatus& s : services) {
    std::string state = StateName(s.state);
    if (s.state == State::kBlocked && !s.blocked_by.empty()) state += " by " + s.blocked_by;
    rows.push_back({s.name, state, Running(s) ? fmt::format("{}", s.pid) : "-",
                    Running(s) ? FormatUptime(s.uptime) : "-", fmt::format("{}", s.restarts),
                    s.ready ? "yes" : "no", HealthName(s.health), FormatLastExit(s)});
  }
  std::string out = Table(rows);
  // The health checks' last output, which is not logged (SPEC §3).
  for (const ServiceStatus& s : services) {
    if (s.health_check.empty()) continue;
    out += fmt::format("{} last health check: {}\n", s.name,
                       s.health_check.substr(0, std::min<size_t>(200, s.health_check.find('\n'))));
  }
  if (!sinks.empty()) {
    bool problems = std::any_of(sinks.begin(), sinks.end(),
                                [](const SinkDrops& d) { return !d.problem.empty(); });
    std::vector<std::vector<std::string>> sink_rows = {{"SINK", "DROPPED"}};
    if (problems) sink_rows[0].push_back("PROBLEM");
    for (const SinkDrops& d : sinks) {
      sink_rows.push_back({d.name, fmt::format("{}", d.dropped)});
      if (problems) sink_rows.back().push_back(d.problem.empty() ? "-" : d.problem);
    }
    out += '\n';
    out += Table(sink_rows);
  }
  return out;
}

std::string FormatStatusJson(const std::vector<ServiceStatus>& services,
                             const std::vector<SinkDrops>& sinks) {
  auto str = [](std::string_view s) {
    std::string out;
    AppendJsonString(s, &out);
    return out;
  };
  std::string out = "{\"services\":[";
  for (size_t i = 0; i < services.size(); ++i) {
    const ServiceStatus& s = services[i];
    long long uptime_ms =
        Running(s) ? std::chrono::duration_cast<std::chrono::milliseconds>(s.uptime).count() : 0;
    out += fmt::format(
        "{}{{\"name\":{},\"type\":\"{}\",\"main\":{},\"state\":\"{}\",\"blocked_by\":{},"
        "\"pid\":{},\"uptime_ms\":{},\"restarts\":{},\"ready\":{},\"health\":\"{}\","
        "\"health_check\":{},\"last_exit\":{},\"last_exit_code\":{}}}",
        i ? "," : "", str(s.name), s.type == ServiceType::kOneshot ? "oneshot" : "longrun",
        s.main, StateName(s.state), s.blocked_by.empty() ? "null" : str(s.blocked_by),
        Running(s) ? fmt::format("{}", s.pid) : "null", uptime_ms, s.restarts, s.ready,
        s.health == Health::kNone ? "none" : HealthName(s.health),
        s.health_check.empty() ? "null" : str(s.health_check),
        s.has_exited ? str(FormatLastExit(s)) : "null",
        s.has_exited ? fmt::format("{}", ExitCodeOf(s.last_status)) : "null");
  }
  out += "],\"sinks\":[";
  for (size_t i = 0; i < sinks.size(); ++i) {
    // "problem" only while the sink cannot deliver.
    out += fmt::format("{}{{\"name\":{},\"dropped\":{}{}}}", i ? "," : "", str(sinks[i].name),
                       sinks[i].dropped,
                       sinks[i].problem.empty() ? "" : ",\"problem\":" + str(sinks[i].problem));
  }
  out += "]}\n";
  return out;
}

}  // namespace steward
