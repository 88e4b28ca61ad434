// libFuzzer target: bytes from the control socket, as PID 1 buffers and
// decodes them (DecodeRequest, then the verb parser), and a client's view
// of a response (DecodeResponse). Round trip: a decoded request encodes
// back to bytes that decode to the same arguments.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "steward/control/control.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  std::string err;
  // Every prefix, as the bytes arrive a read at a time.
  for (size_t n : {size / 3, size / 2, size}) {
    args.clear();
    if (steward::DecodeRequest(in.substr(0, n), &args, &err) != steward::Decode::kComplete) continue;
    if (args.size() > steward::kMaxRequestArgs) abort();
    steward::CtlRequest req;
    steward::ParseCtlRequest(args, &req, &err);
    std::string again;
    if (!args.empty() && steward::EncodeRequest(args, &again, &err)) {
      std::vector<std::string> back;
      if (steward::DecodeRequest(again, &back, &err) != steward::Decode::kComplete || back != args) abort();
    }
  }
  int code;
  std::string text;
  steward::DecodeResponse(in, &code, &text);
  return 0;
}
