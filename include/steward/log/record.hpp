// One log record (SPEC §5): a line without its newline, plus where it came
// from and when steward read it. Plain data, owned by value; sinks format it
// and the spool stores it in the binary form of EncodeRecord().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace steward::log {

enum class Stream : uint8_t { kStdout = 0, kStderr = 1, kSyslog = 2 };

// "stdout", "stderr", "syslog": also the RFC 5424 MSGID and the JSON "stream".
const char* StreamName(Stream s);

// Syslog severities (RFC 5424 §6.2.1) used as defaults.
constexpr int kSeverityErr = 3;
constexpr int kSeverityWarning = 4;
constexpr int kSeverityNotice = 5;
constexpr int kSeverityInfo = 6;
constexpr int kFacilityUser = 1;

struct Record {
  int64_t time_us = 0;  // realtime, microseconds since the epoch, when read
  std::string service;  // service name, or the syslog sender's tag
  Stream stream = Stream::kStdout;
  int severity = kSeverityInfo;  // 0-7; stdout = info, stderr = err
  int facility = -1;             // 0-23 for syslog records; -1: the sink's own
  std::string tag;               // syslog records only
  pid_t pid = 0;                 // 0 when unknown
  bool partial = false;          // more of the same line follows in the next record
  std::string line;              // the bytes, without the newline
  // One of steward's own lines (not spooled: only the console looks at it,
  // to write it to stderr).
  bool own = false;
};

// The severity of one of steward's own lines, "steward: LEVEL: text"
// (info for a line of another shape). The record keeps the whole line: the
// same text on stderr and in the sinks.
int OwnLineSeverity(std::string_view line);

// Realtime clock in microseconds.
int64_t NowMicros();

// The spool's binary form: fixed header then the three strings, so a spool
// entry can be read back without a parser that could fail on bytes.
void EncodeRecord(const Record& r, std::string* out);
// False when the bytes are not a record EncodeRecord() made (corrupt spool).
bool DecodeRecord(std::string_view in, Record* out);

}  // namespace steward::log
