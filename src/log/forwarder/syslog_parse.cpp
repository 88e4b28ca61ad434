// The /dev/log datagram parser and the tag sanitizer (see syslog_parse.hpp).
#include "steward/log/forwarder/syslog_parse.hpp"

#include <string.h>

namespace steward::log {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "<PRI>": 1 to 3 digits, at most 191 (facility 23, severity 7).
bool TakePri(std::string_view* s, int* pri) {
  if (s->size() < 3 || (*s)[0] != '<') return false;
  int v = 0;
  size_t i = 1;
  for (; i < s->size() && i <= 4 && IsDigit((*s)[i]); ++i) v = v * 10 + ((*s)[i] - '0');
  if (i == 1 || i > 4 || i >= s->size() || (*s)[i] != '>' || v > 191) return false;
  *pri = v;
  s->remove_prefix(i + 1);
  return true;
}

// Up to the next space; the space is consumed. False when there is none.
bool TakeField(std::string_view* s, std::string_view* field) {
  size_t sp = s->find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  *field = s->substr(0, sp);
  s->remove_prefix(sp + 1);
  return true;
}

bool ParsePid(std::string_view text, pid_t* pid) {
  if (text.empty() || text.size() > 9) return false;
  int v = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pid = pid_t(v);
  return true;
}

std::string_view Nil(std::string_view field) { return field == "-" ? std::string_view() : field; }

// STRUCTURED-DATA: "-" or one or more [ID PARAM="value"...] elements, where
// a value may contain \" \\ \] escapes.
bool TakeSd(std::string_view* s, std::string_view* sd) {
  if (!s->empty() && (*s)[0] == '-') {
    *sd = std::string_view();
    s->remove_prefix(1);
    return true;
  }
  size_t i = 0;
  while (i < s->size() && (*s)[i] == '[') {
    bool quoted = false;
    for (++i; i < s->size(); ++i) {
      char c = (*s)[i];
      if (quoted && c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == ']') {
        break;
      }
    }
    if (i >= s->size()) return false;
    ++i;  // past ']'
  }
  if (i == 0) return false;
  *sd = s->substr(0, i);
  s->remove_prefix(i);
  return true;
}

bool ParseRfc5424(std::string_view s, SyslogMessage* m) {
  if (s.size() < 2 || s[0] != '1' || s[1] != ' ') return false;
  s.remove_prefix(2);
  std::string_view ts, host, app, procid, msgid, sd;
  if (!TakeField(&s, &ts) || !TakeField(&s, &host) || !TakeField(&s, &app) ||
      !TakeField(&s, &procid) || !TakeField(&s, &msgid) || !TakeSd(&s, &sd)) {
    return false;
  }
  if (!s.empty()) {
    if (s[0] != ' ') return false;
    s.remove_prefix(1);
  }
  if (s.size() >= 3 && memcmp(s.data(), "\xef\xbb\xbf", 3) == 0) s.remove_prefix(3);  // BOM
  m->rfc5424 = true;
  m->timestamp = Nil(ts);
  m->hostname = Nil(host);
  m->tag = Nil(app);
  if (!ParsePid(procid, &m->pid)) m->pid = 0;
  m->msgid = Nil(msgid);
  m->sd = sd;
  m->msg = s;
  return true;
}

// "Mmm dd hh:mm:ss " (BSD timestamp; the day is space-padded).
bool TakeBsdTimestamp(std::string_view* s, std::string_view* ts) {
  static const char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s->size() < 16) return false;
  const char* p = s->data();
  bool month = false;
  for (int i = 0; i < 12 && !month; ++i) month = memcmp(p, kMonths + 3 * i, 3) == 0;
  if (!month || p[3] != ' ' || (p[4] != ' ' && !IsDigit(p[4])) || !IsDigit(p[5]) || p[6] != ' ' ||
      !IsDigit(p[7]) || !IsDigit(p[8]) || p[9] != ':' || !IsDigit(p[10]) || !IsDigit(p[11]) ||
      p[12] != ':' || !IsDigit(p[13]) || !IsDigit(p[14]) || p[15] != ' ') {
    return false;
  }
  *ts = s->substr(0, 15);
  s->remove_prefix(16);
  return true;
}

// "TAG[PID]: " or "TAG: " at the start of s.
bool TakeTag(std::string_view* s, std::string_view* tag, pid_t* pid) {
  size_t end = s->find_first_of(" :[");
  if (end == std::string_view::npos || end == 0) return false;
  std::string_view rest = s->substr(end);
  pid_t p = 0;
  if (rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return false;
    }
    if (!ParsePid(rest.substr(1, close - 1), &p)) p = 0;
    rest.remove_prefix(close + 2);
  } else if (rest[0] == ':') {
    rest.remove_prefix(1);
  } else {
    return false;
  }
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  *tag = s->substr(0, end);
  *pid = p;
  *s = rest;
  return true;
}

void ParseBsd(std::string_view s, SyslogMessage* m) {
  bool has_ts = TakeBsdTimestamp(&s, &m->timestamp);
  if (TakeTag(&s, &m->tag, &m->pid)) {
    m->msg = s;
    return;
  }
  // `logger --rfc3164` and relays put a HOSTNAME before the tag; accept it
  // only after a timestamp, where the header shape makes it unambiguous.
  std::string_view rest = s, host;
  if (has_ts && TakeField(&rest, &host) && TakeTag(&rest, &m->tag, &m->pid)) {
    m->hostname = host;
    m->msg = rest;
    return;
  }
  m->msg = s;
}

}  // namespace

SyslogMessage ParseSyslog(std::string_view s) {
  // glibc sends no terminator, musl a newline, some senders a NUL.
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == '\r')) s.remove_suffix(1);
  SyslogMessage m;
  int pri = 0;
  if (!TakePri(&s, &pri)) {
    m.msg = s;
    return m;
  }
  m.has_pri = true;
  m.facility = pri >> 3;
  m.severity = pri & 7;
  if (ParseRfc5424(s, &m)) return m;
  m = SyslogMessage{true, pri >> 3, pri & 7};
  ParseBsd(s, &m);
  return m;
}

std::string SafeTag(std::string_view tag) {
  if (tag.empty()) return "syslog";
  std::string out(tag.substr(0, kMaxTag));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '/') c = '_';
  }
  return out;
}

}  // namespace steward::log
