// Everything a child does between fork() and exec(), written out in one
// place (tini's model): process group, terminal, descriptors, limits,
// identity, signal mask, environment, exec.
//
// Spawn() is synchronous in one respect: like posix_spawn, the child shares
// steward's memory (clone with CLONE_VM|CLONE_VFORK) and steward resumes only
// once the child has exec'd or recorded why it could not. No page tables are
// copied and no page is made copy-on-write, which is most of what a fork
// costs. On failure it has already reaped the child, so the caller never
// sees that pid again.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "steward/config/config.hpp"
#include "steward/util/signals.hpp"

namespace steward {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is searched in the child's PATH
  std::vector<std::string> env;   // the complete environment, "KEY=VALUE"
  bool inherit_env = false;       // env unused: the child gets steward's own
  std::string working_dir;        // "" keeps steward's
  const Identity* identity = nullptr;  // null or !set: steward's own
  std::optional<mode_t> umask;
  const std::vector<ResourceLimit>* limits = nullptr;
  bool no_new_privileges = false;
  bool new_process_group = true;  // the child leads a group of its own
  bool foreground = false;        // and takes stdin's terminal, if any
  // Descriptors for the child: (target, source). Sources are steward's fds
  // (all close-on-exec); -1 as source means /dev/null. Targets not listed
  // are inherited as they are (0, 1, 2 and whatever steward inherited).
  std::vector<std::pair<int, int>> fds;
  const InheritedSignals* signals = nullptr;
};

struct SpawnError {
  std::string message;  // "exec(nginx): No such file or directory"
  int exit_code = 1;    // 127 not found, 126 not executable, 1 otherwise
  // A retry cannot fix it: EPERM on the identity switch, ENOENT or EACCES
  // on the program (the service is failed at once, not backed off).
  bool final = false;
};

// A helper command of a service (readiness or health check, stop_command):
// the service's identity, environment, directory and limits, its stdout and
// stderr (so the output lands in its log), stdin from /dev/null, and none
// of its other descriptors (a notify fd belongs to the service alone).
SpawnRequest HelperRequest(const SpawnRequest& service, std::vector<std::string> argv);

// Sets KEY=VALUE in req's environment (copying steward's first if the
// request inherited it).
void SetEnv(SpawnRequest* req, const std::string& key, const std::string& value);

// Starts the child and execs. Returns the pid, or -1 with *err filled.
pid_t Spawn(const SpawnRequest& req, SpawnError* err);

// The environment of this process as "KEY=VALUE" strings.
std::vector<std::string> CurrentEnvironment();

}  // namespace steward
