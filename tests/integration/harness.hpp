// Runs the real static steward as PID 1 in a fresh PID and mount namespace
// (../shared/TESTING.md) and observes it as a user would: exit status,
// stdout, stderr, files its services write. Signals are sent from outside,
// to steward's pid in the test's namespace.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "files.hpp"
#include "temp_dir.hpp"

namespace steward::testing {

struct RunOptions {
  bool new_pid_namespace = true;  // false: plain child (subreaper tests)
  bool new_net_namespace = false; // a loopback of its own: ports never clash
  std::string stdin_data;         // written to steward's stdin, then closed
  bool stdin_open = false;        // keep stdin an open pipe (Process::WriteStdin)
  std::map<std::string, std::string> env;  // added to the test's environment
  std::string cwd;
  std::vector<int> ignore_signals;  // SIG_IGN in steward, as a parent could leave them
  std::vector<int> block_signals;   // blocked in steward's inherited mask
  std::string stderr_path;          // steward's stderr opened from here (a FIFO the
                                    // test holds) instead of a file; Stderr() is then ""
  // steward as this user, as `setpriv --reuid UID --regid GID --clear-groups`
  // would start it (no capabilities left), once the namespace's /proc and
  // /dev are set up; -1: as the test (root).
  int uid = -1, gid = -1;
  // Fresh tmpfs on /run (root's, 0755) and /tmp (1777), with only `keep`
  // (a directory under /tmp) bind-mounted back: the runtime directory of a
  // non-root steward (/tmp/steward-UID) is then its own, never a sibling
  // test's. Needs new_pid_namespace.
  bool private_run_tmp = false;
  std::string keep;
  std::string binary;  // steward's binary at another path ("": StewardBin())
};

// A running steward. The destructor SIGKILLs whatever is left.
class Process {
 public:
  Process(const std::vector<std::string>& args, const RunOptions& opts = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return steward_pid_; }  // steward, as seen from here
  // Sends sig once steward is ready for it (has it blocked: main() ran),
  // never earlier; SIGKILL at once.
  void Signal(int sig);
  void WriteStdin(const std::string& data);
  void CloseStdin();
  // Waits for steward to exit; returns its exit code (128+N if killed), or
  // -1 on timeout (then the process is still running).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Time from a call of Signal() or of the constructor to the exit, for
  // logging only (tests never assert speed).
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t outer_ = -1;        // our child: the namespace holder (or steward)
  pid_t steward_pid_ = -1;
  int stdin_fd_ = -1;
  int exit_code_ = -1;
  std::string out_path_, err_path_;
};

// The direct children of a process (/proc/PID/task/PID/children).
std::vector<pid_t> Children(pid_t pid);
bool IsZombie(pid_t pid);
// voluntary_ctxt_switches of a process.
long VoluntarySwitches(pid_t pid);
// Waits until pid has not woken up for `quiet` (its start-up and whatever
// it was doing are over); false if it never settled within timeout.
bool WaitUntilQuiet(pid_t pid, std::chrono::milliseconds quiet = std::chrono::milliseconds(500),
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

const char* StewardBin();

// steward's forwarder: the child of PID 1 executed and running as steward-log;
// 0 while there is none.
pid_t ForwarderOf(pid_t steward);
// Nothing in steward's stderr from AddressSanitizer or UBSan.
void ExpectNoSanitizerReport(const Process& p);

}  // namespace steward::testing
