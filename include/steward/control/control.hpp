// The control socket (SPEC §6): the wire protocol between `steward ctl` and
// PID 1, the verbs and their arguments, the text of their answers, and the
// server PID 1 runs on RUNTIME_DIR/control.sock. docs/CONTROL.md has the
// whole design; in short, one request and one response per connection:
//
//   request:  "steward-ctl/1" NUL VERB NUL ARG NUL ... NUL   (an empty arg ends it)
//   response: EXIT_CODE LF TEXT                            (then the server closes)
//
// Everything above ControlServer is pure (strings in, strings out), shared by
// the client and the server and unit-tested; the client validates a request
// before it connects so usage errors need no running steward, and the server
// validates it again because the socket is an untrusted input.
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"
#include "steward/pid1/supervisor.hpp"

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

// One row of the verb table (control_verbs.cpp): the name, the usage line,
// the options and words it takes (checked by ParseCtlRequest) and what PID 1
// does with it (RunVerb). Adding a verb is one row there.
// Takes the client's connection away from the control server, which then
// forgets it; an empty descriptor when the client is gone.
using ControlTake = std::function<UniqueFd()>;

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
  void (*run)(Supervisor& sup, const CtlRequest& req, ControlDone& done, const ControlTake& take);
};
const VerbSpec* FindVerb(std::string_view name);

// VERB [ARG...] -> request. False with a one-line *err (exit 2, usage).
bool ParseCtlRequest(const std::vector<std::string>& args, CtlRequest* out, std::string* err);

// The usage text of `steward ctl`, ending in a newline.
const char* CtlUsage();

// In PID 1: answers a parsed request through done(), or hands the client's
// connection on with take() (`logs`: the forwarder answers it).
void RunVerb(Supervisor& sup, const CtlRequest& req, ControlDone done, const ControlTake& take);

// ---- answers -----------------------------------------------------------------

// 45s, 3m12s, 2h5m, 3d4h: the two largest units, truncated.
std::string FormatUptime(Clock::duration d);
// "-" when it never exited, the exit status ("0", "1"), or the signal that
// killed it ("SIGKILL").
std::string FormatLastExit(const ServiceStatus& s);

struct SinkDrops {
  std::string name;
  uint64_t dropped = 0;
  std::string problem;  // why it cannot deliver now; "" when it can
};

// The `ctl status` table: a header, one row per service, columns padded to
// their widest cell and separated by two spaces; then, when `sinks` is not
// empty, a blank line and a table of the log sinks with their drop counts,
// and a PROBLEM column when one of them cannot deliver.
std::string FormatStatusTable(const std::vector<ServiceStatus>& services,
                              const std::vector<SinkDrops>& sinks);
// `ctl status --json`: one object, {"services":[...],"sinks":[...]}, and a newline.
std::string FormatStatusJson(const std::vector<ServiceStatus>& services,
                             const std::vector<SinkDrops>& sinks);

// ---- the server, in PID 1 -------------------------------------------------------

// Listens on the control socket inside PID 1's event loop and answers each
// request through the Supervisor. Everything is non-blocking and bounded: a
// request must arrive whole within a deadline and within kMaxRequestBytes,
// an answer that the client stops reading is dropped after an idle
// deadline, at most kMaxConnections are open at once, and a peer that is
// not root, steward's own user, or (with control_group) in that group gets
// a refusal and is closed at once.
//
// Ownership: the Supervisor owns the server; the server owns the listening
// socket, every accepted connection and their watchers. Waiting verbs
// (start/stop/restart) hand the Supervisor a ControlDone that holds only a
// weak handle and the connection's id: when the client went away, or the
// server is gone, calling it does nothing.
class ControlServer {
 public:
  static constexpr size_t kMaxConnections = 16;

  ControlServer(struct ev_loop* loop, Supervisor* sup, std::string path,
                std::optional<gid_t> group);
  ~ControlServer();  // closes everything, unlinks the socket
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds and listens: mode 0600, or 0660 and owned by `group` when given.
  // A stale socket left by an earlier run is replaced; a live one (another
  // steward) or any other file at the path is an error.
  bool Start(std::string* err);
  // A reload changed control_group: the socket's group and mode follow at
  // once (narrowed before the group changes, widened after). A failure is
  // a warning; the check of each client's credentials follows in any case.
  void SetGroup(std::optional<gid_t> group);

 private:
  struct Conn;
  void OnAccept();
  void OnRetryAccept();
  void OnConnIo(Conn& c, int revents);
  void OnConnTimer(Conn& c);

  void Accept();
  bool PeerAllowed(int fd, std::string* why) const;
  void Read(Conn& c);
  void Write(Conn& c);
  void Dispatch(Conn& c, const std::vector<std::string>& args);
  ControlDone DoneFor(const Conn& c);
  UniqueFd Take(uint64_t id);
  void Respond(uint64_t id, int exit_code, const std::string& text);
  void Close(uint64_t id);

  struct ev_loop* loop_;
  Supervisor* sup_;
  std::string path_;
  std::optional<gid_t> group_;
  UniqueFd listen_fd_;
  bool bound_ = false;  // path_ is ours to unlink
  pid_t owner_ = -1;    // the process that bound it
  IoWatcher accept_io_;
  TimerWatcher retry_;  // accept paused after EMFILE/ENFILE
  ev_tstamp last_refusal_log_ = -1e9;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Conn>> conns_;
  // What ControlDone callbacks hold weakly: reset in the destructor.
  std::shared_ptr<ControlServer*> self_;
};

}  // namespace steward
