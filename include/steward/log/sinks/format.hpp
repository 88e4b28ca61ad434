// How a record looks on the wire and on disk (SPEC §5 "Sinks"). Pure
// functions that append to a caller's buffer, so a sink can build one batch
// and write it with a single syscall.
//
// Every format is one line per record (except the datagram and
// octet-counted syslog forms, which carry their own length), so no record
// can be split or glued to another by the format itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "steward/log/record.hpp"

namespace steward::log {

// "2026-11-25T20:31:02.123456Z" (UTC, microseconds).
void AppendRfc3339(int64_t time_us, std::string* out);

// RFC 5424 APP-NAME: at most 48 printable US-ASCII characters (33-126);
// anything else becomes '_'; empty becomes "-".
std::string SanitizeAppName(std::string_view name);
// RFC 5424 HOSTNAME: same rule, at most 255 characters.
std::string SanitizeHostname(std::string_view name);

// SD-PARAM value escaping (RFC 5424 §6.3.3): '"', '\' and ']' get a backslash.
void AppendSdParamValue(std::string_view value, std::string* out);

// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD[ MSG]`, no framing.
// facility is used when the record has none (stdout and stderr records).
void AppendRfc5424(const Record& r, int facility, std::string_view hostname, std::string* out);

// `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG` with the local time zone
// (TZ, /etc/localtime; UTC in most containers), no framing.
void AppendRfc3164(const Record& r, int facility, std::string_view hostname, std::string* out);

// RFC 6587 octet counting: `LEN SP MSG`.
void AppendOctetCounted(std::string_view msg, std::string* out);
// RFC 6587 non-transparent framing: MSG LF, with any LF inside MSG (possible
// in /dev/log messages) turned into a space so it cannot end the frame early.
void AppendLfFramed(std::string_view msg, std::string* out);

// Console `prefixed`: `NAME | line`, NAME left-aligned in width columns as
// docker-compose does; a longer name is written whole.
void AppendPrefixed(std::string_view name, size_t width, std::string_view line, std::string* out);

// Console `raw`: the line and a newline.
void AppendRaw(std::string_view line, std::string* out);

// Console `json` and the json sink: one object and a newline:
// {"time":"...Z","service":"web","stream":"stderr","msg":"..."}, plus
// "partial":true for a partial record and "severity"/"facility" for syslog
// records. Always valid JSON: control bytes become \uXXXX (or \n, \t, ...)
// and each byte of invalid UTF-8 becomes \ufffd.
void AppendJson(const Record& r, std::string_view service, std::string* out);

// File sink: `TIME NAME STREAM line` and a newline.
void AppendFileLine(const Record& r, std::string* out);

}  // namespace steward::log
