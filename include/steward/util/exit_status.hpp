// Decoding of wait(2) statuses into what steward reports and exits with.
#pragma once

#include <string>

namespace steward {

// The exit code a shell would show: N for exit(N), 128+S for signal S.
int ExitCodeOf(int wait_status);

// "exited with status 3", "killed by SIGKILL", "killed by SIGSEGV (core dumped)".
std::string DescribeWaitStatus(int wait_status);

// True for exit(0) only.
bool IsSuccess(int wait_status);

}  // namespace steward
