// libFuzzer target: what a RELP collector (or whatever answers on its port)
// sends back, cut into arbitrary pieces, through relp::Reader and ParseRsp().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "steward/log/sinks/relp.hpp"

namespace relp = steward::log::relp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses how the stream is cut: the network may deliver
  // it a byte at a time or all at once.
  size_t chunk = size_t(data[0] % 64) + 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  relp::Reader reader;
  std::vector<relp::Frame> frames;
  std::string err;
  size_t fed = 0;
  while (fed < in.size()) {
    std::string_view piece = in.substr(fed, chunk);
    fed += piece.size();
    if (!reader.Feed(piece, &frames, &err)) {
      if (err.empty()) abort();  // a refusal always says why
      break;
    }
  }
  size_t total = 0;
  for (const relp::Frame& f : frames) {
    if (f.data.size() > relp::kMaxResponseData) abort();
    if (f.txnr > relp::kMaxTxnr) abort();
    total += f.data.size() + f.command.size();
    int code = -1;
    std::string text;
    if (relp::ParseRsp(f.data, &code, &text) && (code < 0 || code > 999)) abort();
  }
  if (total > in.size()) abort();  // frames come from the bytes, nothing invented
  return 0;
}
