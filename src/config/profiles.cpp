// Profiles (SPEC §7): STEWARD_PROFILE's list, the merge of a [profile.NAME]
// table over its file, and the warning for a name no file defines.
#include <fmt/format.h>

#include <algorithm>

#include "config_read.hpp"

namespace steward {

std::vector<std::string> SplitProfiles(const std::string& list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string name = list.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty()) names.push_back(std::move(name));
    start = comma + 1;
  }
  return names;
}

// Tables merge key by key; anything else (arrays included) replaces. Nodes
// are moved, not copied, because toml++ copies drop source positions and
// errors in profile values must point into the profile.
void MergeTable(toml::table* dst, toml::table* src) {
  for (auto&& [k, v] : *src) {
    toml::node* existing = dst->get(k.str());
    if (existing && existing->is_table() && v.is_table()) {
      MergeTable(existing->as_table(), v.as_table());
    } else {
      dst->insert_or_assign(k, std::move(v));
    }
  }
}

std::vector<std::string> ProfileWarnings(const std::string& requested,
                                         const std::set<std::string>& defined) {
  std::string names;
  for (const std::string& p : defined) names += (names.empty() ? "" : ", ") + p;
  std::vector<std::string> out;
  for (const std::string& name : SplitProfiles(requested)) {
    if (defined.count(name)) continue;
    out.push_back(fmt::format("STEWARD_PROFILE={}: no file has a [profile.{}] table{}", requested,
                              name,
                              names.empty() ? " (no file defines a profile)"
                                            : fmt::format(" (profiles defined: {})", names)));
  }
  return out;
}

// Merges the chosen [profile.NAME] tables over `root` in the order asked,
// notes every profile the file defines, and removes the [profile] table.
void ApplyProfiles(FileCtx& c, toml::table* root, const std::string& requested,
                   std::set<std::string>* defined) {
  toml::node* p = root->get("profile");
  if (!p) return;
  if (toml::table* profiles = p->as_table()) {
    for (auto&& [k, v] : *profiles) {
      if (v.is_table()) defined->insert(std::string(k.str()));
      if (!v.is_table())
        c.Error(v, fmt::format("'profile.{}' must be a table, not {}", k.str(), TypeName(v)));
      else if (v.as_table()->contains("profile"))
        c.Error(v, "profiles cannot be nested");
    }
    for (const std::string& name : SplitProfiles(requested)) {
      toml::node* chosen = profiles->get(name);
      if (chosen && chosen->is_table() && !chosen->as_table()->contains("profile"))
        MergeTable(root, chosen->as_table());
    }
  } else {
    c.Error(*p, fmt::format("'profile' must be a table of [profile.NAME] tables, not {}",
                            TypeName(*p)));
  }
  root->erase("profile");
}

}  // namespace steward
