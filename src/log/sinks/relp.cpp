// RELP framing and the parser of the collector's answers (see relp.hpp).
#include "steward/log/sinks/relp.hpp"

#include <fmt/format.h>

namespace steward::log::relp {

void AppendFrame(uint32_t txnr, std::string_view command, std::string_view data, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "{} {} {}", txnr, command, data.size());
  if (!data.empty()) {
    out->push_back(' ');
    out->append(data);
  }
  out->push_back('\n');
}

std::string OpenOffers() {
  return "relp_version=0\nrelp_software=steward," STEWARD_VERSION "\ncommands=syslog";
}

namespace {

enum class Parse { kFrame, kIncomplete, kBad };

// Reads digits at *pos up to the delimiter; at most max_digits of them.
Parse Number(std::string_view s, size_t* pos, size_t max_digits, uint64_t* n) {
  size_t start = *pos;
  *n = 0;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
    if (*pos - start >= max_digits) return Parse::kBad;
    *n = *n * 10 + uint64_t(s[*pos] - '0');
    ++*pos;
  }
  if (*pos == s.size()) return Parse::kIncomplete;
  return *pos == start ? Parse::kBad : Parse::kFrame;
}

// One frame at the start of s; *used is its length.
Parse One(std::string_view s, Frame* f, size_t* used, std::string* err) {
  size_t pos = 0;
  uint64_t n;
  Parse p = Number(s, &pos, 9, &n);
  if (p != Parse::kFrame || s[pos] != ' ') {
    if (p == Parse::kIncomplete) return p;
    *err = "RELP: bad transaction number from the collector";
    return Parse::kBad;
  }
  f->txnr = uint32_t(n);
  size_t cmd = ++pos;
  while (pos < s.size() && pos - cmd <= 32 && s[pos] >= 'a' && s[pos] <= 'z') ++pos;
  if (pos == s.size() && pos - cmd <= 32) return Parse::kIncomplete;
  if (pos == cmd || pos - cmd > 32 || s[pos] != ' ') {
    *err = "RELP: bad command from the collector";
    return Parse::kBad;
  }
  f->command.assign(s.substr(cmd, pos - cmd));
  ++pos;
  p = Number(s, &pos, 9, &n);
  if (p == Parse::kIncomplete) return p;
  if (p == Parse::kBad || n > kMaxResponseData || (n == 0 && s[pos] != '\n') ||
      (n > 0 && s[pos] != ' ')) {
    *err = "RELP: bad data length from the collector";
    return Parse::kBad;
  }
  if (n > 0) ++pos;  // the SP before DATA
  if (s.size() < pos + n + 1) return Parse::kIncomplete;
  f->data.assign(s.substr(pos, n));
  pos += n;
  if (s[pos] != '\n') {
    *err = "RELP: frame from the collector does not end with a newline";
    return Parse::kBad;
  }
  *used = pos + 1;
  return Parse::kFrame;
}

}  // namespace

bool Reader::Feed(std::string_view bytes, std::vector<Frame>* out, std::string* err) {
  buf_.append(bytes);
  size_t off = 0;
  for (;;) {
    Frame f;
    size_t used = 0;
    Parse p = One(std::string_view(buf_).substr(off), &f, &used, err);
    if (p == Parse::kBad) {
      buf_.clear();
      return false;
    }
    if (p == Parse::kIncomplete) break;
    out->push_back(std::move(f));
    off += used;
  }
  buf_.erase(0, off);
  return true;
}

bool ParseRsp(std::string_view data, int* code, std::string* text) {
  if (data.size() < 3) return false;
  for (size_t i = 0; i < 3; ++i) {
    if (data[i] < '0' || data[i] > '9') return false;
  }
  if (data.size() > 3 && data[3] != ' ' && data[3] != '\n') return false;
  *code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
  std::string_view rest = data.size() > 4 ? data.substr(4) : std::string_view();
  *text = std::string(rest.substr(0, rest.find('\n')));
  return true;
}

}  // namespace steward::log::relp
