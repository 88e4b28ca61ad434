// libFuzzer target: an env_file's text (SPEC §3), which any oneshot earlier
// in the graph may have written.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "steward/config/env_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> out;
  std::string err;
  if (steward::ParseEnvText("/fuzz.env", text, &out, &err)) {
    for (auto& [k, v] : out) {
      if (k.empty() || k.find('=') != std::string::npos) abort();
    }
  } else if (err.rfind("/fuzz.env:", 0) != 0) {
    abort();  // every error is positioned
  }
  return 0;
}
