// steward's own messages: one line each on stderr, `steward: LEVEL: text`
// (SPEC §1); while the log pipeline runs, through it (SetOwnLineSink). Messages about a service start with its name:
// `steward: info: web: started (pid 42)`.
//
// The verbosity is the one piece of global state outside the signal path:
// set once from -v/-q/STEWARD_VERBOSITY before anything runs.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace steward {

enum class Level { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

// 0 (-q): errors and warnings; 1 (default): info too; 2+ (-v): debug.
void SetVerbosity(int verbosity);
int Verbosity();
bool Enabled(Level level);

// Writes one whole line with a single write(2), so lines from PID 1 and its
// children never interleave mid-line. Never fails the caller. While PID 1's
// event loop runs, never blocks it either: the line goes through a
// LoopStderr (diag_loop.hpp), which queues, limits repeats and drops.
void Emit(Level level, std::string_view text);

template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  Emit(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warning(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kWarning)) Emit(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kInfo)) Emit(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kDebug)) Emit(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}

// While the log pipeline runs, steward's own lines go through it: on the
// console in order with the services' lines, and to the log sinks as
// records of service "steward". `sink` gets the whole line (newline
// included) and returns false when it cannot take it; the line then goes
// to stderr as without a sink. nullptr: stderr only.
using OwnLineSink = bool (*)(void* ctx, std::string_view line);
void SetOwnLineSink(OwnLineSink sink, void* ctx);
// Hands line to the own-line sink; false when none is set or it refused.
bool SendOwnLine(std::string_view line);

// "call(arg): strerror(errno)", the shape of every syscall error.
std::string SysError(std::string_view call, std::string_view arg, int err);

}  // namespace steward
