// libFuzzer target: what the network sinks' resolver reads from outside:
// a DNS answer (any host on the path can forge one), resolv.conf and
// /etc/hosts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "steward/util/dns.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uint16_t id = size >= 2 ? uint16_t(data[0] << 8 | data[1]) : 0;
  for (uint16_t type : {steward::kTypeA, steward::kTypeAAAA}) {
    std::vector<std::string> addresses;
    int rcode = 0;
    if (steward::ParseResponse(in, id, type, &addresses, &rcode)) {
      for (const std::string& a : addresses) {
        if (!steward::IsNumericAddress(a)) abort();
      }
    }
  }
  steward::ResolvConf rc = steward::ParseResolvConf(in);
  steward::SearchNames("collector", rc);
  steward::LookupHosts(in, "collector");
  return 0;
}
