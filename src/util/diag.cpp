// steward's own messages on stderr, `steward: LEVEL: text`, and the verbosity.
#include "steward/util/diag.hpp"

#include "steward/util/fd.hpp"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace steward {

namespace {
int g_verbosity = 1;
OwnLineSink g_sink = nullptr;
void* g_sink_ctx = nullptr;
}

void SetOwnLineSink(OwnLineSink sink, void* ctx) {
  g_sink = sink;
  g_sink_ctx = ctx;
}

void SetVerbosity(int verbosity) { g_verbosity = verbosity; }
int Verbosity() { return g_verbosity; }

// 0 (-q): errors and warnings; 1 (default): and the lifecycle of services
// (started, exited, stopped); 2 (-v): and debug detail; 3: everything.
bool Enabled(Level level) { return int(level) <= g_verbosity + 1; }

void Emit(Level level, std::string_view text) {
  static const char* const kNames[] = {"error", "warning", "info", "debug"};
  std::string line = fmt::format("steward: {}: {}\n", kNames[int(level)], text);
  int saved = errno;
  if (!g_sink || !g_sink(g_sink_ctx, line))
    WriteAll(STDERR_FILENO, line);  // stderr gone: nothing sensible left to do
  errno = saved;
}

std::string SysError(std::string_view call, std::string_view arg, int err) {
  return fmt::format("{}({}): {}", call, arg, strerror(err));
}

}  // namespace steward
