// Parsing of one /dev/log datagram (SPEC §5 "/dev/log"). Runs only in the
// forwarder: the bytes come from any process in the container.
//
// Accepted shapes, each with or without a trailing newline and/or NUL:
//   glibc syslog(3), logger:  <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG   (local time)
//   musl syslog(3):           <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG\n (UTC)
//   RFC 5424 (logger --rfc5424): <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG
// TAG may come without [PID]; the timestamp and the PRI may be missing.
// Anything else is kept whole as MSG with the default priority
// (user.notice, as syslogd does), so no datagram is ever rejected.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace steward::log {

struct SyslogMessage {
  bool has_pri = false;
  int facility = 1;  // user
  int severity = 5;  // notice
  bool rfc5424 = false;
  std::string_view timestamp;  // as sent ("Nov 25 20:31:02" or RFC 3339); "" if none
  std::string_view hostname;   // RFC 5424 only; "" for "-"
  std::string_view tag;        // TAG or APP-NAME; "" when none
  pid_t pid = 0;               // 0 when none or not a number
  std::string_view msgid;      // RFC 5424 only; "" for "-"
  std::string_view sd;         // RFC 5424 STRUCTURED-DATA, "" for "-"
  std::string_view msg;
};

// Views point into datagram; never fails.
SyslogMessage ParseSyslog(std::string_view datagram);

// The tag as steward uses it, as a service name and in file names (SPEC §5:
// untrusted): cut to kMaxTag bytes (RFC 5424's APP-NAME), every byte outside
// printable ASCII and every '/' made '_'; "syslog" when empty.
constexpr size_t kMaxTag = 48;
std::string SafeTag(std::string_view tag);

}  // namespace steward::log
