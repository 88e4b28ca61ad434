// A service's [limits] (SPEC §3): setrlimit(2)'s resources by name, each a
// number, a size where it counts bytes, "unlimited", or { soft, hard }.
#include <fmt/format.h>
#include <sys/resource.h>

#include "config_read.hpp"

namespace steward {

namespace {

struct LimitName {
  const char* name;
  int resource;
  bool bytes;  // a size string like "64MiB" is accepted too
};

const LimitName kLimits[] = {
    {"nofile", RLIMIT_NOFILE, false},
    {"nproc", RLIMIT_NPROC, false},
    {"core", RLIMIT_CORE, true},
    {"memlock", RLIMIT_MEMLOCK, true},
    {"stack", RLIMIT_STACK, true},
    {"cpu", RLIMIT_CPU, false},
    {"fsize", RLIMIT_FSIZE, true},
    {"as", RLIMIT_AS, true},
    {"data", RLIMIT_DATA, true},
    {"rss", RLIMIT_RSS, true},
    {"msgqueue", RLIMIT_MSGQUEUE, true},
    {"nice", RLIMIT_NICE, false},
    {"rtprio", RLIMIT_RTPRIO, false},
    {"locks", RLIMIT_LOCKS, false},
    {"sigpending", RLIMIT_SIGPENDING, false},
};

bool ReadLimitValue(FileCtx& c, const toml::node& v, const std::string& label, bool bytes,
                    uint64_t* out) {
  if (const auto* i = v.as_integer(); i && i->get() >= 0) {
    *out = uint64_t(i->get());
    return true;
  }
  const auto* s = v.as_string();
  if (s && s->get() == "unlimited") {
    *out = RLIM_INFINITY;
    return true;
  }
  std::string err;
  if (s && bytes && ParseSize(s->get(), out, &err)) return true;
  std::string got = s                ? fmt::format("\"{}\"", s->get())
                    : v.is_integer() ? "a negative number"
                                     : TypeName(v);
  c.Error(v,
          fmt::format("'{}' must be {}, not {}", label,
                      bytes ? "an integer, a size or \"unlimited\"" : "an integer or \"unlimited\"",
                      got));
  return false;
}

// { soft = N, hard = M }; one of the two alone sets both.
bool ReadSoftHard(FileCtx& c, const toml::table& t, const std::string& label, bool bytes,
                  ResourceLimit* rl) {
  bool ok = true, soft = false, hard = false;
  for (auto [k, v] : InSourceOrder(t)) {
    if (k->str() == "soft") {
      soft = true;
      ok = ReadLimitValue(c, *v, label + ".soft", bytes, &rl->soft) && ok;
    } else if (k->str() == "hard") {
      hard = true;
      ok = ReadLimitValue(c, *v, label + ".hard", bytes, &rl->hard) && ok;
    } else {
      UnknownKey(c, *k, label.c_str(), {"soft", "hard"});
      ok = false;
    }
  }
  if (ok && !soft && !hard) {
    c.ErrorAt(t.source(), fmt::format("'{}' needs soft, hard or both", label));
    return false;
  }
  if (!soft) rl->soft = rl->hard;
  if (!hard) rl->hard = rl->soft;
  if (ok && rl->soft > rl->hard) {
    c.ErrorAt(t.source(),
              fmt::format("'{}': soft limit {} is above hard limit {}", label, rl->soft, rl->hard));
    return false;
  }
  return ok;
}

void ReadLimit(FileCtx& c, const toml::key& k, const toml::node& v, std::vector<ResourceLimit>* out) {
  const LimitName* lim = nullptr;
  std::vector<std::string> names;
  for (const LimitName& l : kLimits) {
    if (k.str() == l.name) lim = &l;
    names.emplace_back(l.name);
  }
  if (!lim) {
    c.ErrorAt(k.source(), fmt::format("unknown limit '{}'{}", k.str(), Suggest(k.str(), names)));
    return;
  }
  std::string label = fmt::format("limits.{}", lim->name);
  ResourceLimit rl{lim->resource, 0, 0};
  bool ok = v.is_table() ? ReadSoftHard(c, *v.as_table(), label, lim->bytes, &rl)
                         : ReadLimitValue(c, v, label, lim->bytes, &rl.soft);
  if (!v.is_table()) rl.hard = rl.soft;
  if (ok) out->push_back(rl);
}

}  // namespace

void ReadLimitsTable(FileCtx& c, const toml::node& v, std::vector<ResourceLimit>* out) {
  const toml::table* t = ReadTable(c, v, "limits");
  if (!t) return;
  for (auto [k, value] : InSourceOrder(*t)) ReadLimit(c, *k, *value, out);
}

}  // namespace steward
