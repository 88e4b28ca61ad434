// The hub <-> forwarder wire: the configuration messages (kConfig, kSinkConfig), same shape as protocol.cpp's.

#include <string>

#include "steward/log/protocol.hpp"
#include "steward/util/number.hpp"

namespace steward::log {

// A field added to these must travel to the forwarder below (and in the
// round-trip test), or the forwarder would run with its default.
static_assert(sizeof(void*) != 8 || (sizeof(SinkConfig) == 336 && sizeof(LogConfig) == 88),
              "SinkConfig or LogConfig changed: encode the new field in kConfig/kSinkConfig");

namespace {

std::string Num(uint64_t v) { return std::to_string(v); }
std::string FlagText(bool b) { return b ? "1" : "0"; }

// Whole decimal text only, within max.
bool GetNum(const std::string& s, uint64_t max, uint64_t* out) {
  uint64_t v;
  if (!ParseUnsigned(s, &v) || v > max) return false;
  *out = v;
  return true;
}
bool GetFlag(const std::string& s, bool* out) {
  if (s != "0" && s != "1") return false;
  *out = s == "1";
  return true;
}
template <typename T>
bool GetInt(const std::string& s, T max, T* out) {
  uint64_t v;
  if (!GetNum(s, uint64_t(max), &v)) return false;
  *out = T(v);
  return true;
}

}  // namespace

// id = verbosity, value = sinks that follow; strings: runtime dir, console,
// console_drop_oldest, max_line, partial_flush (ms), ring, syslog_socket.
Message Encode(const ConfigMsg& a) {
  Message m;
  m.type = MsgType::kConfig;
  m.id = uint32_t(a.verbosity);
  m.value = int64_t(a.log.sinks.size());
  m.strings = {a.runtime_dir,
               Num(uint64_t(a.log.console)),
               FlagText(a.log.console_drop_oldest),
               Num(a.log.max_line),
               Num(uint64_t(a.log.partial_flush.count())),
               Num(a.log.ring),
               a.log.syslog_socket};
  return m;
}
bool Decode(const Message& m, ConfigMsg* a) {
  if (m.type != MsgType::kConfig || m.strings.size() != 7 || !m.fds.empty() || m.id > 16 ||
      m.value < 0 || m.value > 1024)
    return false;
  uint64_t console, flush;
  ConfigMsg c;
  c.verbosity = int(m.id);
  c.sinks = uint32_t(m.value);
  c.runtime_dir = m.strings[0];
  if (!GetNum(m.strings[1], uint64_t(LogConfig::Console::kOff), &console) ||
      !GetFlag(m.strings[2], &c.log.console_drop_oldest) ||
      !GetNum(m.strings[3], UINT64_MAX, &c.log.max_line) ||
      !GetNum(m.strings[4], INT64_MAX, &flush) || !GetNum(m.strings[5], UINT64_MAX, &c.log.ring))
    return false;
  c.log.console = LogConfig::Console(console);
  c.log.partial_flush = Duration(int64_t(flush));
  c.log.syslog_socket = m.strings[6];
  *a = std::move(c);
  return true;
}

// strings: name, type, url, octet_counting, rfc3164, facility, hostname,
// buffer, overflow_block, path, rotate_size, keep, window, tls_ca, tls_cert,
// tls_key, tls_server_name, tls_verify, then the services (globs).
Message Encode(const SinkConfigMsg& a) {
  const SinkConfig& s = a.sink;
  Message m;
  m.type = MsgType::kSinkConfig;
  m.strings = {s.name,          Num(uint64_t(s.type)), s.url,        FlagText(s.octet_counting),
               FlagText(s.rfc3164), Num(uint64_t(s.facility)), s.hostname, Num(s.buffer),
               FlagText(s.overflow_block), s.path, Num(s.rotate_size), Num(uint64_t(s.keep)),
               Num(uint64_t(s.window)), s.tls_ca, s.tls_cert, s.tls_key,
               s.tls_server_name, FlagText(s.tls_verify)};
  m.strings.insert(m.strings.end(), s.services.begin(), s.services.end());
  return m;
}
bool Decode(const Message& m, SinkConfigMsg* a) {
  if (m.type != MsgType::kSinkConfig || m.strings.size() < 18 || !m.fds.empty()) return false;
  const std::vector<std::string>& v = m.strings;
  SinkConfig s;
  uint64_t type;
  s.name = v[0];
  s.url = v[2];
  s.hostname = v[6];
  s.path = v[9];
  s.tls_ca = v[13];
  s.tls_cert = v[14];
  s.tls_key = v[15];
  s.tls_server_name = v[16];
  if (!GetNum(v[1], uint64_t(SinkConfig::Type::kRelp), &type) || !GetFlag(v[3], &s.octet_counting) ||
      !GetFlag(v[4], &s.rfc3164) || !GetInt(v[5], INT32_MAX, &s.facility) ||
      !GetNum(v[7], UINT64_MAX, &s.buffer) || !GetFlag(v[8], &s.overflow_block) ||
      !GetNum(v[10], UINT64_MAX, &s.rotate_size) || !GetInt(v[11], INT32_MAX, &s.keep) ||
      !GetInt(v[12], INT32_MAX, &s.window) || !GetFlag(v[17], &s.tls_verify))
    return false;
  s.type = SinkConfig::Type(type);
  s.services.assign(v.begin() + 18, v.end());
  a->sink = std::move(s);
  return true;
}

}  // namespace steward::log
