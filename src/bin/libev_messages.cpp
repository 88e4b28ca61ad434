// Replaces the two C library functions libev prints its fatal messages
// with, __assert_fail (its assert()) and perror (ev_syserr): the C
// library's print through __fxprintf, which links its whole wide-character
// printf (~25 KB) into the static binary for messages that should never be
// printed. Same messages, written with write(2).
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

void Put(const char* s) { (void)!write(STDERR_FILENO, s, strlen(s)); }

}  // namespace

extern "C" [[noreturn]] void __assert_fail(const char* expr, const char* file, unsigned line,
                                           const char* function) {
  char digits[12];
  char* p = digits + sizeof digits;
  *--p = '\0';
  do {
    *--p = char('0' + line % 10);
    line /= 10;
  } while (line != 0 && p > digits);
  Put("steward: ");
  Put(file);
  Put(":");
  Put(p);
  Put(": ");
  Put(function);
  Put(": Assertion `");
  Put(expr);
  Put("' failed.\n");
  abort();
}

extern "C" void perror(const char* s) {
  const char* why = strerror(errno);
  if (s != nullptr && *s != '\0') {
    Put(s);
    Put(": ");
  }
  Put(why);
  Put("\n");
}
