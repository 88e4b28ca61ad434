// The control socket (SPEC §6): the wire protocol between `steward ctl` and
// PID 1, the verbs and their arguments, and the text of their answers.
// docs/CONTROL.md has the whole design; in short, one request and one
// response per connection:
//
//   request:  "steward-ctl/1" NUL VERB NUL ARG NUL ... NUL   (an empty arg ends it)
//   response: EXIT_CODE LF TEXT                            (then the server closes)
//
// Everything here is pure (strings in, strings out), shared by the client
// (ctl.hpp) and the server in PID 1 (pid1/control_server.hpp) and
// unit-tested; the client validates a request before it connects so usage
// errors need no running steward, and the server validates it again because
// the socket is an untrusted input. This library reaches no pid1 header:
// what PID 1 does with each verb is pid1/control_context.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steward/control/status.hpp"

namespace steward {

// ---- wire protocol ----------------------------------------------------------

inline constexpr std::string_view kCtlMagic = "steward-ctl/1";
// A request is a handful of service names: these bound what PID 1 buffers.
inline constexpr size_t kMaxRequestBytes = 64 * 1024;
inline constexpr size_t kMaxRequestArgs = 1024;

// The request for VERB and its args (magic first). False with *err when an
// argument is empty or holds a NUL (either would end the request early), or
// when the request would exceed the limits above.
bool EncodeRequest(const std::vector<std::string>& args, std::string* out, std::string* err);

enum class Decode { kIncomplete, kComplete, kInvalid };
// Decodes the bytes received so far. kComplete fills *args (without the
// magic); kInvalid sets *err (wrong magic, too large, bytes after the end).
Decode DecodeRequest(std::string_view buf, std::vector<std::string>* args, std::string* err);

std::string EncodeResponse(int exit_code, std::string_view text);
// `buf` is everything read up to end of file. False when it is not a
// response (no exit code line).
bool DecodeResponse(std::string_view buf, int* exit_code, std::string* text);

// ---- verbs --------------------------------------------------------------------

struct CtlRequest {
  enum class Verb { kStatus, kStart, kStop, kRestart, kSignal, kReload, kHealth, kShutdown,
                    kLogs, kGraph };
  Verb verb = Verb::kStatus;
  std::vector<std::string> names;  // services named (status, start..., signal, logs)
  bool json = false;               // status --json
  bool wait = true;                // start/stop/restart without --no-wait
  bool with_dependents = false;    // restart --with-dependents
  int signal = 0;                  // signal SIG
  std::optional<int> exit_code;    // shutdown --exit-code N
  int lines = 100;                 // logs -n N
  bool follow = false;             // logs -f
};

// One row of the verb table (control_verbs.cpp): the name, the usage line
// and the options and words it takes (checked by ParseCtlRequest). Adding a
// verb is one row there and one handler in PID 1's table
// (src/pid1/control_context.cpp).

struct VerbSpec {
  // Options a verb accepts (a mask).
  enum Opt : unsigned {
    kJson = 1,      // --json
    kNoWait = 2,    // --no-wait
    kExitCode = 4,  // --exit-code N
    kLines = 8,     // -n N
    kFollow = 16,   // -f, --follow
    kDashSig = 32,  // -USR1 as the first word (kill(1) style)
    kWithDependents = 64,  // --with-dependents
  };
  // The words (non-option arguments) it takes.
  enum class Words { kAnyNames, kSomeNames, kSignalAndNames, kOneName, kNone };

  std::string_view name;
  CtlRequest::Verb verb;
  std::string_view usage;  // the line of CtlUsage(), without its indent
  unsigned options;
  Words words;
};
const VerbSpec* FindVerb(std::string_view name);

// VERB [ARG...] -> request. False with a one-line *err (exit 2, usage).
bool ParseCtlRequest(const std::vector<std::string>& args, CtlRequest* out, std::string* err);

// The usage text of `steward ctl`, ending in a newline.
const char* CtlUsage();

// ---- answers -----------------------------------------------------------------

// 45s, 3m12s, 2h5m, 3d4h: the two largest units, truncated.
std::string FormatUptime(Clock::duration d);
// "-" when it never exited, the exit status ("0", "1"), or the signal that
// killed it ("SIGKILL").
std::string FormatLastExit(const ServiceStatus& s);

// The `ctl status` table: a header, one row per service, columns padded to
// their widest cell and separated by two spaces; then, when `sinks` is not
// empty, a blank line and a table of the log sinks with their drop counts,
// and a PROBLEM column when one of them cannot deliver.
std::string FormatStatusTable(const std::vector<ServiceStatus>& services,
                              const std::vector<SinkDrops>& sinks);
// `ctl status --json`: one object, {"services":[...],"sinks":[...]}, and a newline.
std::string FormatStatusJson(const std::vector<ServiceStatus>& services,
                             const std::vector<SinkDrops>& sinks);

}  // namespace steward
