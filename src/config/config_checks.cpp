// Reading a service's [ready] and [healthcheck] tables (SPEC §3), and the
// duration and count readers the service file shares with them.
#include <fmt/format.h>

#include <climits>

#include "config_read.hpp"

namespace steward {

void ReadIntKey(FileCtx& c, const toml::node& v, const char* label, int64_t min, int* out) {
  int64_t n;
  if (ReadInt(c, v, label, min, INT_MAX, &n)) *out = int(n);
}

// A duration that drives a timer loop: zero would spin.
void ReadPositiveDuration(FileCtx& c, const toml::node& v, const char* label, Duration* out) {
  Duration d;
  if (!ReadDuration(c, v, label, &d)) return;
  if (d.count() <= 0) {
    c.Error(v, fmt::format("'{}' must be more than 0", label));
    return;
  }
  *out = d;
}

namespace {

// ---- [ready] ---------------------------------------------------------

void ReadReadyTcp(FileCtx& c, const toml::node& v, ReadyCheck* r) {
  std::string s;
  if (!ReadString(c, v, "ready.tcp", &s)) return;
  if (!ParseHostPort(s, &r->host, &r->port)) {
    c.Error(v, fmt::format(
                   "'ready.tcp' must be \"HOST:PORT\" with a port from 1 to 65535, not \"{}\"", s));
    return;
  }
  r->kind = ReadyCheck::Kind::kTcp;
}

const Key<ReadyCheck> kReadyKeys[] = {
    {"notify",
     [](FileCtx& c, const toml::node& v, ReadyCheck* r) {
       static const Choice<ReadyCheck::Kind> kNotify[] = {
           {"systemd", ReadyCheck::Kind::kNotifySystemd}};
       ReadChoice(c, v, "ready.notify", kNotify, &r->kind);
     }},
    {"notify_fd",
     [](FileCtx& c, const toml::node& v, ReadyCheck* r) {
       // 0, 1 and 2 are the service's stdin, stdout and stderr.
       int64_t fd;
       if (!ReadInt(c, v, "ready.notify_fd", 3, 1023, &fd)) return;
       r->kind = ReadyCheck::Kind::kNotifyFd;
       r->notify_fd = int(fd);
     }},
    {"tcp", ReadReadyTcp},
    {"command",
     [](FileCtx& c, const toml::node& v, ReadyCheck* r) {
       if (ReadCommand(c, v, "ready.command", &r->command)) r->kind = ReadyCheck::Kind::kCommand;
     }},
    {"file",
     [](FileCtx& c, const toml::node& v, ReadyCheck* r) {
       if (ReadAbsolutePath(c, v, "ready.file", &r->file)) r->kind = ReadyCheck::Kind::kFile;
     }},
    {"timeout",
     [](FileCtx& c, const toml::node& v, ReadyCheck* r) {
       ReadPositiveDuration(c, v, "ready.timeout", &r->timeout);
     }},
    {"interval",
     [](FileCtx& c, const toml::node& v, ReadyCheck* r) {
       ReadPositiveDuration(c, v, "ready.interval", &r->interval);
     }},
};

// Exactly one way of telling readiness; two would leave steward guessing
// which one counts.
void CheckOneReadyKind(FileCtx& c, const toml::table& t) {
  static const char* const kKinds[] = {"notify", "notify_fd", "tcp", "command", "file"};
  const toml::key* first = nullptr;
  for (auto [k, v] : InSourceOrder(t)) {
    if (std::find(std::begin(kKinds), std::end(kKinds), k->str()) == std::end(kKinds)) continue;
    if (!first) {
      first = k;
      continue;
    }
    c.ErrorAt(k->source(), fmt::format("[ready] takes only one of notify, notify_fd, tcp, command "
                                       "or file, but has '{}' and '{}'",
                                       first->str(), k->str()));
    return;
  }
  if (!first) c.ErrorAt(t.source(), "[ready] needs one of notify, notify_fd, tcp, command or file");
}

}  // namespace

void ReadReadyTable(FileCtx& c, const toml::node& v, ReadyCheck* out) {
  const toml::table* t = ReadTable(c, v, "ready");
  if (!t) return;
  ReadKeys(c, *t, "ready", kReadyKeys, out);
  CheckOneReadyKind(c, *t);
}

namespace {

// ---- [healthcheck] ---------------------------------------------------

// docker-compose's shapes: ["CMD", argv...], ["CMD-SHELL", "text"],
// "text" (= CMD-SHELL), ["NONE"] (disabled).
void ReadHealthTest(FileCtx& c, const toml::node& v, HealthCheck* h) {
  const char* label = "healthcheck.test";
  if (v.is_string()) {
    h->enabled = ReadCommand(c, v, label, &h->test);
    return;
  }
  std::vector<std::string> words;
  if (!v.is_array()) {
    c.Error(v, fmt::format(
                   "'{}' must be an array like [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"] "
                   "or a string, not {}",
                   label, TypeName(v)));
    return;
  }
  if (!ReadStrings(c, v, label, &words)) return;
  std::string kind = words.empty() ? "" : words[0];
  words.erase(words.begin(), words.begin() + (words.empty() ? 0 : 1));
  if (kind == "NONE") {
    h->enabled = false;
  } else if (kind == "CMD" && !words.empty()) {
    h->test = Command{std::move(words), false};
    h->enabled = true;
  } else if (kind == "CMD-SHELL" && words.size() == 1) {
    h->test = Command{{"/bin/sh", "-c", words[0]}, true};
    h->enabled = true;
  } else {
    c.Error(v, fmt::format("'{}' must be [\"CMD\", program, args...], [\"CMD-SHELL\", \"command\"] "
                           "or [\"NONE\"]",
                           label));
  }
}

struct HealthDraft {
  HealthCheck h;
  bool disable = false;
};

const Key<HealthDraft> kHealthKeys[] = {
    {"test",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       ReadHealthTest(c, v, &d->h);
     }},
    {"interval",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       ReadPositiveDuration(c, v, "healthcheck.interval", &d->h.interval);
     }},
    {"timeout",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       ReadPositiveDuration(c, v, "healthcheck.timeout", &d->h.timeout);
     }},
    {"retries",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       ReadIntKey(c, v, "healthcheck.retries", 1, &d->h.retries);
     }},
    {"start_period",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       ReadDuration(c, v, "healthcheck.start_period", &d->h.start_period);
     }},
    {"on_unhealthy",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       static const Choice<bool> kChoices[] = {{"restart", true}, {"ignore", false}};
       ReadChoice(c, v, "healthcheck.on_unhealthy", kChoices, &d->h.restart_on_unhealthy);
     }},
    {"disable",
     [](FileCtx& c, const toml::node& v, HealthDraft* d) {
       ReadBool(c, v, "healthcheck.disable", &d->disable);
     }},
};

}  // namespace

void ReadHealthTable(FileCtx& c, const toml::node& v, HealthCheck* out) {
  const toml::table* t = ReadTable(c, v, "healthcheck");
  if (!t) return;
  HealthDraft draft;
  ReadKeys(c, *t, "healthcheck", kHealthKeys, &draft);
  if (draft.disable) {
    draft.h.enabled = false;
    draft.h.test = Command();
  } else if (!t->contains("test")) {
    c.ErrorAt(t->source(), "[healthcheck] needs 'test' (or disable = true)");
  }
  *out = std::move(draft.h);
}


}  // namespace steward
