#include "steward/log/sinks/format.hpp"
#include "steward/util/json.hpp"

#include <stdint.h>
#include <string.h>
#include <time.h>

namespace steward::log {

namespace {

const char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void AppendDigits(unsigned v, int width, std::string* out) {
  char b[12];
  int n = 0;
  do {
    b[n++] = char('0' + v % 10);
    v /= 10;
  } while (v > 0 || n < width);
  while (n > 0) out->push_back(b[--n]);
}

int Pri(const Record& r, int facility) {
  int f = r.facility >= 0 ? r.facility : facility;
  return (f & 0x1f) * 8 + (r.severity & 7);
}

std::string Sanitize(std::string_view s, size_t max) {
  if (s.empty()) return "-";
  std::string out(s.substr(0, max));
  for (char& c : out) {
    if (c < 33 || c > 126) c = '_';
  }
  return out;
}

// The 27 bytes of AppendRfc3339 into b.
void FormatRfc3339(int64_t time_us, char* b) {
  time_t secs = time_t(time_us / 1000000);
  int64_t micros = time_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --secs;
  }
  // One gmtime_r a second, not one a line (the forwarder is single-threaded).
  static time_t cached_secs = -1;
  static char prefix[20];  // "YYYY-MM-DDTHH:MM:SS."
  if (secs != cached_secs) {
    struct tm tm;
    gmtime_r(&secs, &tm);
    std::string p;
    AppendDigits(unsigned(tm.tm_year + 1900), 4, &p);
    p.push_back('-');
    AppendDigits(unsigned(tm.tm_mon + 1), 2, &p);
    p.push_back('-');
    AppendDigits(unsigned(tm.tm_mday), 2, &p);
    p.push_back('T');
    AppendDigits(unsigned(tm.tm_hour), 2, &p);
    p.push_back(':');
    AppendDigits(unsigned(tm.tm_min), 2, &p);
    p.push_back(':');
    AppendDigits(unsigned(tm.tm_sec), 2, &p);
    p.push_back('.');
    memcpy(prefix, p.data(), 20);
    cached_secs = secs;
  }
  memcpy(b, prefix, 20);
  unsigned m = unsigned(micros);
  for (int i = 25; i >= 20; --i) {
    b[i] = char('0' + m % 10);
    m /= 10;
  }
  b[26] = 'Z';
}

}  // namespace

void AppendRfc3339(int64_t time_us, std::string* out) {
  // Every record cut from one read has the same time: format it once.
  static int64_t cached_us = INT64_MIN;
  static char cached[27];
  if (time_us != cached_us) {
    FormatRfc3339(time_us, cached);
    cached_us = time_us;
  }
  out->append(cached, 27);
}

std::string SanitizeAppName(std::string_view name) { return Sanitize(name, 48); }
std::string SanitizeHostname(std::string_view name) { return Sanitize(name, 255); }

void AppendSdParamValue(std::string_view value, std::string* out) {
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') out->push_back('\\');
    out->push_back(c);
  }
}

void AppendRfc5424(const Record& r, int facility, std::string_view hostname, std::string* out) {
  out->push_back('<');
  AppendDigits(unsigned(Pri(r, facility)), 1, out);
  out->append(">1 ");
  AppendRfc3339(r.time_us, out);
  out->push_back(' ');
  out->append(SanitizeHostname(hostname));
  out->push_back(' ');
  out->append(SanitizeAppName(r.service));
  out->push_back(' ');
  if (r.pid > 0) {
    AppendDigits(unsigned(r.pid), 1, out);
  } else {
    out->push_back('-');
  }
  out->push_back(' ');
  out->append(StreamName(r.stream));
  if (r.partial) {
    out->append(" [steward@32473 partial=\"");
    AppendSdParamValue("1", out);
    out->append("\"]");
  } else {
    out->append(" -");
  }
  if (!r.line.empty()) {
    out->push_back(' ');
    out->append(r.line);
  }
}

void AppendRfc3164(const Record& r, int facility, std::string_view hostname, std::string* out) {
  out->push_back('<');
  AppendDigits(unsigned(Pri(r, facility)), 1, out);
  out->push_back('>');
  time_t secs = time_t(r.time_us / 1000000);
  struct tm tm;
  localtime_r(&secs, &tm);
  out->append(kMonths[tm.tm_mon % 12]);
  out->push_back(' ');
  if (tm.tm_mday < 10) out->push_back(' ');  // "Nov  5": day padded with a space
  AppendDigits(unsigned(tm.tm_mday), 1, out);
  out->push_back(' ');
  AppendDigits(unsigned(tm.tm_hour), 2, out);
  out->push_back(':');
  AppendDigits(unsigned(tm.tm_min), 2, out);
  out->push_back(':');
  AppendDigits(unsigned(tm.tm_sec), 2, out);
  out->push_back(' ');
  out->append(SanitizeHostname(hostname));
  out->push_back(' ');
  // RFC 3164 §4.1.3: the TAG is at most 32 alphanumeric characters; a
  // '[' or ':' inside it would end it early at the receiver.
  std::string tag = Sanitize(r.service, 32);
  for (char& c : tag) {
    if (c == '[' || c == ']' || c == ':') c = '_';
  }
  out->append(tag);
  if (r.pid > 0) {
    out->push_back('[');
    AppendDigits(unsigned(r.pid), 1, out);
    out->push_back(']');
  }
  out->append(": ");
  out->append(r.line);
}

void AppendOctetCounted(std::string_view msg, std::string* out) {
  AppendDigits(unsigned(msg.size()), 1, out);
  out->push_back(' ');
  out->append(msg);
}

void AppendLfFramed(std::string_view msg, std::string* out) {
  size_t start = out->size();
  out->append(msg);
  for (size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] == '\n') (*out)[i] = ' ';
  }
  out->push_back('\n');
}

void AppendPrefixed(std::string_view name, size_t width, std::string_view line, std::string* out) {
  out->append(name);
  if (name.size() < width) out->append(width - name.size(), ' ');
  out->append(" | ");
  out->append(line);
  out->push_back('\n');
}

void AppendRaw(std::string_view line, std::string* out) {
  out->append(line);
  out->push_back('\n');
}

void AppendJson(const Record& r, std::string_view service, std::string* out) {
  out->append("{\"time\":\"");
  AppendRfc3339(r.time_us, out);
  out->append("\",\"service\":");
  AppendJsonString(service, out);
  out->append(",\"stream\":\"");
  out->append(StreamName(r.stream));
  out->append("\",\"msg\":");
  AppendJsonString(r.line, out);
  if (r.partial) out->append(",\"partial\":true");
  if (r.stream == Stream::kSyslog) {
    out->append(",\"severity\":");
    AppendDigits(unsigned(r.severity & 7), 1, out);
    if (r.facility >= 0) {
      out->append(",\"facility\":");
      AppendDigits(unsigned(r.facility), 1, out);
    }
  }
  out->append("}\n");
}

// The file sink's hot path: one resize and plain copies, not seven
// appends (the forwarder is built with -Os, where each is a call).
void AppendFileLine(const Record& r, std::string* out) {
  const char* stream = StreamName(r.stream);
  size_t stream_len = strlen(stream);
  size_t at = out->size();
  AppendRfc3339(r.time_us, out);
  out->resize(at + 27 + 1 + r.service.size() + 1 + stream_len + 1 + r.line.size() + 1);
  char* p = &(*out)[at + 27];
  *p++ = ' ';
  memcpy(p, r.service.data(), r.service.size());
  p += r.service.size();
  *p++ = ' ';
  memcpy(p, stream, stream_len);
  p += stream_len;
  *p++ = ' ';
  memcpy(p, r.line.data(), r.line.size());
  p += r.line.size();
  *p = '\n';
}

}  // namespace steward::log
