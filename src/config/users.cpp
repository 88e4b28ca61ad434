// Users and groups from the image's own /etc/passwd and /etc/group (no NSS).
#include "steward/config/users.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "steward/config/env_file.hpp"
#include "steward/config/parse.hpp"

namespace steward {

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

// An id as written in passwd, group or a service file. (uid_t)-1 is
// excluded: setuid(-1) means "leave unchanged", never a real id.
bool ParseId(std::string_view s, uint32_t* out) {
  uint64_t v;
  if (!ParseUnsigned(s, &v) || v >= 0xffffffffull) return false;
  *out = uint32_t(v);
  return true;
}

bool IsNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Calls fn(fields) for each entry line; comments, NIS "+"/"-" lines and
// blank lines are skipped, as glibc's files backend does.
template <typename Fn>
void ForEachEntry(const std::string& text, Fn fn) {
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    fn(Split(line, ':'));
  }
}

}  // namespace

void UserDb::LoadPasswd() {
  if (passwd_loaded_) return;
  passwd_loaded_ = true;
  std::string text;
  if (!ReadFile(PasswdPath(), &text, &passwd_err_)) return;
  ForEachEntry(text, [this](const std::vector<std::string_view>& f) {
    PasswdEntry e;
    if (f.size() < 4 || f[0].empty() || !ParseId(f[2], &e.uid) || !ParseId(f[3], &e.gid)) return;
    e.name.assign(f[0]);
    if (f.size() > 5) e.home.assign(f[5]);
    passwd_.push_back(std::move(e));
  });
}

void UserDb::LoadGroup() {
  if (group_loaded_) return;
  group_loaded_ = true;
  std::string text;
  if (!ReadFile(GroupPath(), &text, &group_err_)) return;
  ForEachEntry(text, [this](const std::vector<std::string_view>& f) {
    GroupEntry e;
    if (f.size() < 3 || f[0].empty() || !ParseId(f[2], &e.gid)) return;
    e.name.assign(f[0]);
    if (f.size() > 3 && !f[3].empty()) {
      for (std::string_view m : Split(f[3], ',')) e.members.emplace_back(m);
    }
    group_.push_back(std::move(e));
  });
}

// First match wins, as with getpwnam() on a files database.
const PasswdEntry* UserDb::FindUser(std::string_view name) {
  LoadPasswd();
  for (const PasswdEntry& e : passwd_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const PasswdEntry* UserDb::FindUid(uid_t uid) {
  LoadPasswd();
  for (const PasswdEntry& e : passwd_) {
    if (e.uid == uid) return &e;
  }
  return nullptr;
}

const GroupEntry* UserDb::FindGroup(std::string_view name) {
  LoadGroup();
  for (const GroupEntry& e : group_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string UserDb::Missing(const std::string& path, const std::string& read_err) const {
  return read_err.empty() ? "not in " + path : read_err;
}

bool UserDb::LookupGroup(std::string_view group, gid_t* gid, std::string* err) {
  uint32_t n;
  if (IsNumeric(group)) {
    if (ParseId(group, &n)) {
      *gid = n;
      return true;
    }
    *err = fmt::format("invalid gid '{}'", group);
    return false;
  }
  if (const GroupEntry* e = FindGroup(group)) {
    *gid = e->gid;
    return true;
  }
  *err = fmt::format("unknown group '{}' ({})", group, Missing(GroupPath(), group_err_));
  return false;
}

bool UserDb::LookupUser(std::string_view user, Identity* id, std::string* err) {
  size_t colon = user.find(':');
  std::string_view name = user.substr(0, colon);
  *id = Identity();
  id->set = true;
  const PasswdEntry* e = nullptr;
  if (IsNumeric(name)) {
    if (!ParseId(name, &id->uid)) {
      *err = fmt::format("invalid uid '{}'", name);
      return false;
    }
    e = FindUid(id->uid);
    id->gid = id->uid;  // a bare uid unknown to passwd: its own group, as docker does
  } else if (!(e = FindUser(name))) {
    *err = fmt::format("unknown user '{}' ({})", name, Missing(PasswdPath(), passwd_err_));
    return false;
  }
  if (e) {
    id->uid = e->uid, id->gid = e->gid, id->name = e->name, id->home = e->home;
  } else {
    // A bare uid unknown to passwd: HOME=/ as su gives it, never steward's
    // own HOME (/root); USER and LOGNAME the number.
    id->name.assign(name);
    id->home = "/";
  }
  if (colon != std::string_view::npos && !LookupGroup(user.substr(colon + 1), &id->gid, err)) {
    return false;
  }
  id->groups = GroupsFor(id->name, id->gid);
  return true;
}

std::vector<gid_t> UserDb::GroupsFor(const std::string& name, gid_t primary) {
  std::vector<gid_t> groups = {primary};
  // A number is a bare uid (no passwd name can be all digits): no groups.
  if (name.empty() || IsNumeric(name)) return groups;
  LoadGroup();
  for (const GroupEntry& g : group_) {
    bool member = std::find(g.members.begin(), g.members.end(), name) != g.members.end();
    if (member && std::find(groups.begin(), groups.end(), g.gid) == groups.end()) {
      groups.push_back(g.gid);
    }
  }
  return groups;
}

bool ResolveIdentity(UserDb* db, const std::string& user, const std::string& group, Identity* id,
                     std::string* err, bool* group_at_fault) {
  *group_at_fault = false;
  *id = Identity();
  if (!user.empty() && !db->LookupUser(user, id, err)) return false;
  if (group.empty()) return true;
  *group_at_fault = true;
  if (user.find(':') != std::string::npos) {
    *err = fmt::format("group given twice: in 'user' (\"{}\") and in 'group'", user);
    return false;
  }
  gid_t gid;
  if (!db->LookupGroup(group, &gid, err)) return false;
  if (user.empty()) {
    // Only a group: keep steward's own uid, change the group.
    id->set = true;
    id->uid = getuid();
  }
  id->gid = gid;
  id->groups = db->GroupsFor(id->name, gid);
  return true;
}

}  // namespace steward
