// Replaces libstdc++'s verbose terminate handler, which would link the C++
// demangler (~40 KB) into the static binary only to pretty-print the type
// of an exception that escaped. Nothing should ever escape: toml++'s
// exceptions stay inside config, and the event loop throws nothing.
#include <stdlib.h>
#include <unistd.h>

namespace __gnu_cxx {

void __verbose_terminate_handler() {
  static const char kMsg[] = "steward: error: internal error: terminate called; please report\n";
  (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  abort();
}

}  // namespace __gnu_cxx
