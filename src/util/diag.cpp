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
}

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
  // PID 1's loop never waits for stderr's reader; anywhere else (start-up,
  // --check, ctl, a forked child) a blocking write is what a program does.
  if (!g_loop_stderr || !g_loop_stderr->Take(text, line))
    WriteAll(STDERR_FILENO, line);  // stderr gone: nothing sensible left to do
  errno = saved;
}

std::string SysError(std::string_view call, std::string_view arg, int err) {
  return fmt::format("{}({}): {}", call, arg, strerror(err));
}

}  // namespace steward
