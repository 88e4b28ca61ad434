// libFuzzer target: the value parsers of the command line and of every
// configuration file: durations, sizes, unsigned integers, and ${VAR}
// interpolation. A parsed duration prints back to text that parses to the
// same value.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "steward/config/interpolate.hpp"
#include "steward/config/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string err;
  steward::Duration d;
  if (steward::ParseDuration(in, &d, &err)) {
    if (d.count() < 0) abort();
    steward::Duration back;
    if (!steward::ParseDuration(steward::FormatDuration(d), &back, &err) || back != d) abort();
  }
  uint64_t n;
  steward::ParseSize(in, &n, &err);
  steward::ParseUnsigned(in, &n);
  steward::EnvMap env = {{"A", "1"}, {"HOME", "/root"}, {"EMPTY", ""}};
  std::string out;
  steward::Interpolate(in, env, &out, &err);
  return 0;
}
