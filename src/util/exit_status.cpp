// Decoding of wait(2) statuses into what steward reports and exits with.
#include "steward/util/exit_status.hpp"

#include <sys/wait.h>

#include <fmt/format.h>

#include "steward/util/signals.hpp"

namespace steward {

int ExitCodeOf(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 1;  // stopped/continued are never final; treat defensively
}

std::string DescribeWaitStatus(int st) {
  if (WIFEXITED(st)) return fmt::format("exited with status {}", WEXITSTATUS(st));
  if (WIFSIGNALED(st)) {
    return fmt::format("killed by {}{}", SignalName(WTERMSIG(st)),
                       WCOREDUMP(st) ? " (core dumped)" : "");
  }
  return fmt::format("wait status {:#x}", st);
}

bool IsSuccess(int st) { return WIFEXITED(st) && WEXITSTATUS(st) == 0; }

}  // namespace steward
