// The control socket's server, in PID 1 (SPEC §6, docs/CONTROL.md): it
// listens on RUNTIME_DIR/control.sock inside PID 1's event loop, reads each
// request (the wire protocol of control/control.hpp), and has its
// ControlContext (control_context.hpp) act on it.
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "steward/control/control.hpp"
#include "steward/pid1/control_context.hpp"
#include "steward/util/fd.hpp"
#include "steward/util/watcher.hpp"

namespace steward {

// Everything is non-blocking and bounded: a request must arrive whole
// within a deadline and within kMaxRequestBytes, an answer that the client
// stops reading is dropped after an idle deadline, at most kMaxConnections
// are open at once, and a peer that is not root, steward's own user, or
// (with control_group) in that group gets a refusal and is closed at once.
//
// Ownership: the ProcessHost owns the server and its ControlContext; the
// server owns the listening socket, every accepted connection and their
// watchers, and does all of their I/O. Waiting verbs (start/stop/restart)
// hand the Supervisor a ControlDone that holds only a weak handle and the
// connection's id: when the client went away, or the server is gone,
// calling it does nothing.
class ControlServer {
 public:
  static constexpr size_t kMaxConnections = 16;

  ControlServer(struct ev_loop* loop, ControlContext* verbs, std::string path,
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
  ControlContext* verbs_;
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
