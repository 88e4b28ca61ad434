// libFuzzer target: the line splitter fed arbitrary bytes in arbitrary
// chunks. The first byte picks max_line (1..64), the next ones the chunk
// sizes; checks that every piece fits max_line, holds no newline, and that
// the pieces put back together are the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "steward/log/forwarder/line_splitter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t max_line = 1 + data[0] % 64;
  size_t chunk = 1 + data[1] % 97;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  steward::log::LineSplitter s(max_line);
  std::string rebuilt;
  auto emit = [&](std::string_view line, bool partial) {
    if (line.size() > max_line || line.find('\n') != std::string_view::npos) abort();
    rebuilt.append(line);
    if (!partial) rebuilt.push_back('\n');
  };
  for (size_t at = 0; at < in.size(); at += chunk) {
    s.Feed(in.substr(at, chunk), emit);
    if (s.held() > max_line) abort();
  }
  s.Flush(true, emit);
  if (s.held() != 0) abort();
  // A final unterminated line comes back with a newline added by Flush(true).
  std::string want(in);
  if (!want.empty() && want.back() != '\n') want.push_back('\n');
  if (rebuilt != want) abort();
  return 0;
}
