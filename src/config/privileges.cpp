// Can steward switch users? capget(2) and the rule of SPEC §3 `user`.
#include "steward/config/privileges.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

namespace steward {

Privileges CurrentPrivileges() {
  Privileges p;
  p.uid = geteuid();
  p.gid = getegid();
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return p;  // unknown: let the start say
  p.known = true;
  p.can_setuid = (data[0].effective & (1u << CAP_SETUID)) != 0;
  p.can_setgid = (data[0].effective & (1u << CAP_SETGID)) != 0;
  return p;
}

std::string IdentitySwitchProblem(const Identity& want, const std::string& written,
                                  const Privileges& self) {
  if (!self.known || !want.set) return "";
  bool uid_change = want.uid != self.uid;
  bool gid_change = want.gid != self.gid;
  // The same user as steward: spawn keeps steward's own groups when it
  // may not set the listed ones (setgroups needs CAP_SETGID).
  if (!uid_change && !gid_change) return "";
  if ((!uid_change || self.can_setuid) && (!gid_change || self.can_setgid)) return "";
  if (self.uid == 0) {
    return fmt::format("steward runs as root without CAP_SETUID and CAP_SETGID; {} needs them: "
                       "add them back (docker run --cap-add SETUID --cap-add SETGID), or remove "
                       "it to run the service as root",
                       written);
  }
  std::string who = fmt::format("steward runs as uid {}", self.uid);
  if (!uid_change) who += fmt::format(" and gid {}", self.gid);
  return fmt::format("{}; {} needs root (or CAP_SETUID and CAP_SETGID): run the container as "
                     "root (the service still runs as its user), or remove it to run the "
                     "service as steward's own user",
                     who, written);
}

}  // namespace steward
