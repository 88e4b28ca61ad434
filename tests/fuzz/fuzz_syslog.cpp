// libFuzzer target: one /dev/log datagram through ParseSyslog() and
// SafeTag(), as the forwarder takes it from any process in the container.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "steward/log/forwarder/syslog_parse.hpp"

namespace {

// Every view the parser returns lies inside the datagram.
void Inside(std::string_view all, std::string_view part) {
  if (part.empty()) return;
  if (part.data() < all.data() || part.data() + part.size() > all.data() + all.size()) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  steward::log::SyslogMessage m = steward::log::ParseSyslog(in);
  for (std::string_view v : {m.timestamp, m.hostname, m.tag, m.msgid, m.sd, m.msg}) Inside(in, v);
  if (m.facility < 0 || m.facility > 23 || m.severity < 0 || m.severity > 7) abort();
  std::string tag = steward::log::SafeTag(m.tag);
  if (tag.empty() || tag.size() > steward::log::kMaxTag) abort();
  for (char c : tag) {
    if (c < 0x20 || c > 0x7e || c == '/') abort();
  }
  return 0;
}
