// Whether steward can switch a service to another user (SPEC §3 `user`):
// only root, or a process with CAP_SETUID and CAP_SETGID in its effective
// set, can. Under `docker run --user 1000` it cannot, and a `user =` that
// needs a switch is a configuration error, found before anything starts.
#pragma once

#include <sys/types.h>

#include <string>

#include "steward/config/config.hpp"

namespace steward {

struct Privileges {
  bool known = false;  // false: not checked (tests, or capget failed)
  uid_t uid = 0;       // steward's real and effective uid
  gid_t gid = 0;
  bool can_setuid = true;  // CAP_SETUID in the effective set
  bool can_setgid = true;  // CAP_SETGID in the effective set
};

// This process's, read with capget(2).
Privileges CurrentPrivileges();

// "" when `want` (a service's resolved `user`/`group`, written as `user`)
// can be taken by a process with `self`; else why not, with the fix:
// `steward runs as uid 1000; user = "postgres" needs root (or CAP_SETUID
// and CAP_SETGID)`. A user equal to steward's own uid and gid needs nothing.
std::string IdentitySwitchProblem(const Identity& want, const std::string& written,
                                  const Privileges& self);

}  // namespace steward
