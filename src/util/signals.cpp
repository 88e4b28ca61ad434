// Signal names and numbers, and the signal state steward inherits and restores.
#include "steward/util/signals.hpp"

#include <fmt/format.h>
#include <string.h>

#include "steward/util/number.hpp"

namespace steward {

namespace {

struct NamedSignal { int number; const char* name; };

// ASCII case-insensitive compare. Not strncasecmp: that is locale
// aware and links glibc's locale tables into the static binary.
bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'a' && a[i] <= 'z' ? char(a[i] - 32) : a[i];
    char y = b[i] >= 'a' && b[i] <= 'z' ? char(b[i] - 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

const NamedSignal kSignals[] = {
    {SIGHUP, "HUP"},       {SIGINT, "INT"},       {SIGQUIT, "QUIT"},
    {SIGILL, "ILL"},       {SIGTRAP, "TRAP"},     {SIGABRT, "ABRT"},
    {SIGBUS, "BUS"},       {SIGFPE, "FPE"},       {SIGKILL, "KILL"},
    {SIGUSR1, "USR1"},     {SIGSEGV, "SEGV"},     {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"},     {SIGALRM, "ALRM"},     {SIGTERM, "TERM"},
    {SIGSTKFLT, "STKFLT"}, {SIGCHLD, "CHLD"},     {SIGCONT, "CONT"},
    {SIGSTOP, "STOP"},     {SIGTSTP, "TSTP"},     {SIGTTIN, "TTIN"},
    {SIGTTOU, "TTOU"},     {SIGURG, "URG"},       {SIGXCPU, "XCPU"},
    {SIGXFSZ, "XFSZ"},     {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},
    {SIGWINCH, "WINCH"},   {SIGIO, "IO"},         {SIGPWR, "PWR"},
    {SIGSYS, "SYS"},       {SIGIOT, "IOT"},       {SIGPOLL, "POLL"},
    {SIGCLD, "CLD"},
};

bool ParseRealtime(std::string_view s, int* out) {
  int base;
  if (s.size() >= 5 && EqualFold(s.substr(0, 5), "RTMIN")) {
    base = SIGRTMIN;
  } else if (s.size() >= 5 && EqualFold(s.substr(0, 5), "RTMAX")) {
    base = SIGRTMAX;
  } else {
    return false;
  }
  std::string_view rest = s.substr(5);
  if (rest.empty()) {
    *out = base;
    return true;
  }
  uint64_t off;
  if (rest.size() < 2 || !ParseUnsigned(rest.substr(1), &off)) return false;
  int sig = rest[0] == '+' ? base + int(off) : rest[0] == '-' ? base - int(off) : -1;
  if (sig < SIGRTMIN || sig > SIGRTMAX) return false;
  *out = sig;
  return true;
}

}  // namespace

int SignalNumber(std::string_view name) {
  uint64_t n;
  if (ParseUnsigned(name, &n)) return n >= 1 && n < uint64_t(NSIG) ? int(n) : 0;
  if (name.size() > 3 && EqualFold(name.substr(0, 3), "SIG")) name.remove_prefix(3);
  for (const NamedSignal& s : kSignals) {
    if (EqualFold(name, s.name)) return s.number;
  }
  int rt;
  if (ParseRealtime(name, &rt)) return rt;
  return 0;
}

std::string SignalName(int sig) {
  for (const NamedSignal& s : kSignals) {
    if (s.number == sig) return fmt::format("SIG{}", s.name);
  }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    int mid = (SIGRTMIN + SIGRTMAX) / 2;
    if (sig == SIGRTMIN) return "SIGRTMIN";
    if (sig == SIGRTMAX) return "SIGRTMAX";
    if (sig <= mid) return fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
    return fmt::format("SIGRTMAX-{}", SIGRTMAX - sig);
  }
  return fmt::format("signal {}", sig);
}

bool IsForwardable(int sig) {
  if (sig < 1 || sig >= NSIG) return false;
  switch (sig) {
    case SIGKILL: case SIGSTOP: case SIGCHLD: case SIGTTIN: case SIGTTOU:
      return false;
  }
  // 32 and 33 belong to glibc's threading; sigprocmask refuses to block them.
  if (sig > SIGSYS && sig < SIGRTMIN) return false;
  return true;
}

void InheritedSignals::CaptureAndBlockAll() {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &mask);

  struct sigaction dfl = {}, ign = {};
  dfl.sa_handler = SIG_DFL;
  ign.sa_handler = SIG_IGN;
  // SIGCHLD ignored would make the kernel reap for us, and waitpid() would
  // never report an exit: steward needs the default.
  sigaction(SIGCHLD, &dfl, &chld);
  // Background reads and writes on the terminal must not stop PID 1.
  sigaction(SIGTTIN, &ign, &ttin);
  sigaction(SIGTTOU, &ign, &ttou);
}

void InheritedSignals::RestoreInChild() const {
  sigaction(SIGCHLD, &chld, nullptr);
  sigaction(SIGTTIN, &ttin, nullptr);
  sigaction(SIGTTOU, &ttou, nullptr);
  sigprocmask(SIG_SETMASK, &mask, nullptr);
}

}  // namespace steward
