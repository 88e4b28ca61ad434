// Users and groups from the image's own /etc/passwd and /etc/group.
//
// steward is static, so getpwnam() and NSS are not available (and would
// read the wrong files in tests anyway): UserDb parses the two files under
// a root directory itself, once, on first use. Lookups never touch the
// process's identity; the supervisor applies the resulting Identity in the
// child before exec.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "steward/config/config.hpp"

namespace steward {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// The account database of one root ("" = the real /). Owns the parsed
// entries; files are read lazily, at most once each. A missing or unreadable
// file is an empty database whose read error is kept for messages.
class UserDb {
 public:
  explicit UserDb(std::string root) : root_(std::move(root)) {}

  // `user` as in a service file: "name", "uid", "uid:gid", "name:group",
  // "uid:group" or "name:gid". Fills every field of *id (set = true):
  // uid, primary gid, name and home from passwd when the user is there, and
  // the supplementary groups. A numeric uid missing from passwd is allowed:
  // name and home stay empty and the gid is the uid unless given.
  bool LookupUser(std::string_view user, Identity* id, std::string* err);

  // A group name or a numeric gid (allowed even when not in /etc/group).
  bool LookupGroup(std::string_view group, gid_t* gid, std::string* err);

  // The primary group first, then every group of /etc/group that lists
  // `name` as a member (as initgroups() does), without duplicates.
  std::vector<gid_t> GroupsFor(const std::string& name, gid_t primary);

  const PasswdEntry* FindUser(std::string_view name);
  const PasswdEntry* FindUid(uid_t uid);
  const GroupEntry* FindGroup(std::string_view name);

  std::string PasswdPath() const { return root_ + "/etc/passwd"; }
  std::string GroupPath() const { return root_ + "/etc/group"; }

 private:
  void LoadPasswd();
  void LoadGroup();
  // Why a name was not found: "not in PATH" or the file's read error.
  std::string Missing(const std::string& path, const std::string& read_err) const;

  std::string root_;
  bool passwd_loaded_ = false, group_loaded_ = false;
  std::string passwd_err_, group_err_;  // read errors, "" when read fine
  std::vector<PasswdEntry> passwd_;
  std::vector<GroupEntry> group_;
};

// `user` and/or `group` of a service ("" = not given) resolved into *id.
// `group` replaces the primary group (and so the supplementary list's
// first entry). With only `group`, the uid is steward's own. *group_at_fault
// tells the caller which of the two values the error is about.
bool ResolveIdentity(UserDb* db, const std::string& user, const std::string& group, Identity* id,
                     std::string* err, bool* group_at_fault);

}  // namespace steward
