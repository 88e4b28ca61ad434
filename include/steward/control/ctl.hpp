// `steward ctl VERB ...` and `stewardctl VERB ...`: the client of the
// control socket (SPEC §6, docs/CONTROL.md). It checks the request itself,
// so a usage error needs no running steward (exit 2), finds the socket,
// sends the request, and prints the answer: to stdout when the exit code is
// 0, to stderr otherwise, then exits with that code. It is an ordinary
// blocking program: it runs outside PID 1.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace steward {

struct CtlArgs {
  std::optional<std::string> runtime_dir;  // --runtime-dir DIR before the verb
  bool help = false;                       // -h, --help, or the verb `help`
  bool verbose = false;                    // --verbose (-v): say which socket
  std::vector<std::string> request;        // VERB [ARG...]
};

// The client's own options come before VERB: --runtime-dir DIR (or =DIR),
// -v/--verbose, -h/--help. False with *err on an unknown option or a missing value.
bool ParseCtlArgs(const std::vector<std::string>& args, CtlArgs* out, std::string* err);

// DIR/control.sock for a runtime directory; else the first of
// /run/steward/control.sock and /tmp/steward-UID/control.sock that exists,
// as steward itself falls back (runtime.hpp); when neither exists, the first.
std::string FindControlSocket(const std::optional<std::string>& runtime_dir, uid_t uid,
                              const std::function<bool(const std::string&)>& exists);

// Whether the client may talk to the socket at `path` (SPEC §1 "Trust":
// control sockets are not trusted by their path alone). Anyone can make
// /tmp/steward-0 before root's steward does, bind a socket in it, answer
// `ctl health` and take `ctl shutdown`: so the socket's directory must be
// a real directory (not a link) owned by the caller (uid) or root and
// writable by nobody else (mode at most 0755), and the socket itself a
// socket owned by the caller or root. dir and sock are their lstat()s
// (sock is null when it is missing). "" when trusted, else the message,
// naming the path, the owner and the fix.
std::string SocketTrustProblem(const std::string& path, const struct stat& dir,
                               const struct stat* sock, uid_t uid);

// Runs the client: args is VERB [ARG...] with any client options in front;
// runtime_dir comes from STEWARD_RUNTIME_DIR (an option in args wins).
// Returns the process exit status.
int RunCtl(const std::vector<std::string>& args, const std::optional<std::string>& runtime_dir);

}  // namespace steward
