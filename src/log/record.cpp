// A log record's names and its binary form for the spool (EncodeRecord).
#include "steward/log/record.hpp"

#include <string.h>
#include <time.h>

#include <utility>

namespace steward::log {

const char* StreamName(Stream s) {
  switch (s) {
    case Stream::kStdout: return "stdout";
    case Stream::kStderr: return "stderr";
    case Stream::kSyslog: return "syslog";
  }
  return "stdout";
}

int OwnLineSeverity(std::string_view line) {
  static const std::pair<std::string_view, int> kLevels[] = {
      {"steward: error: ", kSeverityErr}, {"steward: warning: ", kSeverityWarning},
      {"steward: info: ", kSeverityInfo}, {"steward: debug: ", 7}};
  for (const auto& [prefix, severity] : kLevels) {
    if (line.substr(0, prefix.size()) == prefix) return severity;
  }
  return kSeverityInfo;
}

int64_t NowMicros() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

namespace {

// Little-endian fixed-width fields; the spool is read back only by the same
// binary on the same machine, but a fixed layout keeps it inspectable.
template <typename T>
void Put(std::string* out, T v) {
  char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) b[i] = char((uint64_t(v) >> (8 * i)) & 0xff);
  out->append(b, sizeof(T));
}

template <typename T>
bool Get(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < sizeof(T); ++i) x |= uint64_t(uint8_t((*in)[i])) << (8 * i);
  *v = T(x);
  in->remove_prefix(sizeof(T));
  return true;
}

constexpr uint8_t kFlagPartial = 1;

}  // namespace

// Layout: time(8) pid(4) severity(1) facility(1, 0xff = -1) stream(1)
// flags(1) service_len(2) tag_len(2) line_len(4), then the bytes.
void EncodeRecord(const Record& r, std::string* out) {
  out->reserve(out->size() + 24 + r.service.size() + r.tag.size() + r.line.size());
  Put<uint64_t>(out, uint64_t(r.time_us));
  Put<uint32_t>(out, uint32_t(r.pid));
  Put<uint8_t>(out, uint8_t(r.severity));
  Put<uint8_t>(out, r.facility < 0 ? 0xff : uint8_t(r.facility));
  Put<uint8_t>(out, uint8_t(r.stream));
  Put<uint8_t>(out, r.partial ? kFlagPartial : 0);
  Put<uint16_t>(out, uint16_t(r.service.size()));
  Put<uint16_t>(out, uint16_t(r.tag.size()));
  Put<uint32_t>(out, uint32_t(r.line.size()));
  out->append(r.service.data(), uint16_t(r.service.size()));
  out->append(r.tag.data(), uint16_t(r.tag.size()));
  out->append(r.line);
}

bool DecodeRecord(std::string_view in, Record* r) {
  uint64_t time;
  uint32_t pid, line_len;
  uint8_t severity, facility, stream, flags;
  uint16_t service_len, tag_len;
  if (!Get(&in, &time) || !Get(&in, &pid) || !Get(&in, &severity) || !Get(&in, &facility) ||
      !Get(&in, &stream) || !Get(&in, &flags) || !Get(&in, &service_len) ||
      !Get(&in, &tag_len) || !Get(&in, &line_len)) {
    return false;
  }
  if (severity > 7 || (facility > 23 && facility != 0xff) || stream > 2) return false;
  if (in.size() != size_t(service_len) + tag_len + line_len) return false;
  r->time_us = int64_t(time);
  r->pid = pid_t(pid);
  r->severity = severity;
  r->facility = facility == 0xff ? -1 : facility;
  r->stream = Stream(stream);
  r->partial = (flags & kFlagPartial) != 0;
  r->service.assign(in.substr(0, service_len));
  r->tag.assign(in.substr(service_len, tag_len));
  r->line.assign(in.substr(size_t(service_len) + tag_len));
  return true;
}

}  // namespace steward::log
