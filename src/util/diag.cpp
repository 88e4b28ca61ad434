// steward's own messages on stderr, `steward: LEVEL: text`, and the verbosity.
#include "steward/util/diag.hpp"

#include "steward/util/diag_loop.hpp"
#include "steward/util/fd.hpp"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace steward {

namespace {
int g_verbosity = 1;
LoopStderr* g_loop_stderr = nullptr;  // while PID 1's loop runs (diag_loop.hpp)
OwnLineSink g_sink = nullptr;
void* g_sink_ctx = nullptr;
}  // namespace

void SetOwnLineSink(OwnLineSink sink, void* ctx) {
  g_sink = sink;
  g_sink_ctx = ctx;
}

bool SendOwnLine(std::string_view line) { return g_sink && g_sink(g_sink_ctx, line); }

void SetLoopStderr(LoopStderr* s) { g_loop_stderr = s; }

void SetVerbosity(int verbosity) { g_verbosity = verbosity; }
int Verbosity() { return g_verbosity; }

// 0 (-q): errors and warnings; 1 (default): and the lifecycle of services
// (started, exited, stopped); 2 (-v): and debug detail; 3: everything.
bool Enabled(Level level) { return int(level) <= g_verbosity + 1; }

void Emit(Level level, std::string_view text) {
  static const char* const kNames[] = {"error", "warning", "info", "debug"};
  std::string line = fmt::format("steward: {}: {}\n", kNames[int(level)], text);
  int saved = errno;
  // PID 1's loop limits repeats, then hands the line to the forwarder (a
  // record of service `steward`) or to stderr without ever waiting for its
  // reader. Anywhere else (start-up, --check, ctl, a forked child) the
  // forwarder if one listens, else a blocking write, as any program does.
  if (!(g_loop_stderr && g_loop_stderr->Take(text, line)) && !SendOwnLine(line))
    WriteAll(STDERR_FILENO, line);  // stderr gone: nothing sensible left to do
  errno = saved;
}

std::string SysError(std::string_view call, std::string_view arg, int err) {
  return fmt::format("{}({}): {}", call, arg, strerror(err));
}

}  // namespace steward
