// Signal names and numbers, and the signal state steward inherits.
//
// steward blocks every signal first thing and takes them as events from the
// event loop (libev over signalfd); nothing runs in an asynchronous handler.
// What steward inherited (mask, ignored signals) is recorded once, so that
// every child can be handed exactly that, as tini does.
#pragma once

#include <signal.h>

#include <string>
#include <string_view>

namespace steward {

// "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3", "SIGRTMAX-1" -> number;
// 0 when the text names no signal.
int SignalNumber(std::string_view name);

// 15 -> "SIGTERM"; 37 -> "SIGRTMIN+3"; unknown -> "signal N".
std::string SignalName(int sig);

// True for the signals steward forwards in wrapper mode: every catchable
// signal, real-time ones included, except SIGCHLD (reaping), SIGTTIN and
// SIGTTOU (ignored, as tini does), SIGKILL and SIGSTOP (uncatchable) and the
// two real-time signals glibc reserves for itself.
bool IsForwardable(int sig);

// The signal disposition steward was started with, restored in each child
// before exec: the mask, and the three signals steward changes for itself
// (SIGCHLD back to default so reaping works, SIGTTIN/SIGTTOU ignored).
struct InheritedSignals {
  sigset_t mask;
  struct sigaction chld, ttin, ttou;

  // Records the current state, then blocks every signal and sets steward's
  // own dispositions. Call first thing in main(), before any fork.
  void CaptureAndBlockAll();

  // In a forked child, before exec: give back what was inherited.
  // Async-signal-safe.
  void RestoreInChild() const;
};

}  // namespace steward
