// Reload (SPEC §4) as a new set of wanted states: what the new configuration
// removes or changes is wanted down (dependents first, by the running
// graph), then the changed services take their new definition and, with the
// new ones, are wanted up (dependencies first, by the new graph). Unchanged
// services are never touched; the main program is never restarted.
#include <algorithm>

#include "steward/pid1/supervisor.hpp"
#include "steward/util/diag.hpp"
#include "supervisor_slot.hpp"

namespace steward {

namespace {

void Replace(std::vector<ServiceConfig>* services, const ServiceConfig& cfg) {
  for (ServiceConfig& s : *services) {
    if (s.name == cfg.name) {
      s = cfg;
      return;
    }
  }
  // Kept in name order, as LoadConfig sorts them.
  auto at = std::lower_bound(services->begin(), services->end(), cfg.name,
                             [](const ServiceConfig& s, const std::string& n) { return s.name < n; });
  services->insert(at, cfg);
}

void Erase(std::vector<std::string>* names, const std::string& name) {
  names->erase(std::remove(names->begin(), names->end(), name), names->end());
}

std::string Lines(const char* verb, const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += fmt::format("{} {}\n", verb, n);
  return out;
}

}  // namespace

void Supervisor::ReadAndReload(ControlDone done) {
  // What every reload did goes to steward's log, whoever asked for it.
  ControlDone logged = [done](int code, const std::string& text) {
    size_t from = 0;
    while (from < text.size()) {
      size_t nl = text.find('\n', from);
      if (nl == std::string::npos) nl = text.size();
      if (nl > from) {
        if (code == 0) Info("reload: {}", text.substr(from, nl - from));
        else Warning("reload: {}", text.substr(from, nl - from));
      }
      from = nl + 1;
    }
    if (done) done(code, text);
  };
  if (phase_ != Phase::kRunning) {
    Warning("reload ignored: steward is stopping");
    if (done) done(1, "steward is stopping; reload ignored\n");
    return;
  }
  if (reload_) {
    // Read once the current one is applied, so it sees its result.
    queued_reloads_.push_back(std::move(done));
    return;
  }
  Config next;
  SupervisorSettings settings = settings_;
  std::vector<std::string> errors;
  if (!reload_host_->ReadConfig(&next, &settings, &errors)) {
    std::string text;
    for (const std::string& e : errors) {
      Error("{}", e);
      text += e + "\n";
    }
    std::string summary = fmt::format(
        "reload refused: {} configuration error{}; the running services carry on untouched",
        errors.size(), errors.size() == 1 ? "" : "s");
    Error("{}", summary);
    if (done) done(1, text + summary + "\n");
    return;
  }
  Reload(std::move(next), std::move(settings), std::move(logged));
}

// The main program is never restarted by a reload: its running definition
// is carried into the new configuration, changed or not.
void Supervisor::KeepMain(Config* next, ConfigDiff* diff) {
  Slot* main = MainSlot();
  if (main) {
    const std::string& name = main->svc->name();
    bool changed = std::find(diff->changed.begin(), diff->changed.end(), name) != diff->changed.end();
    bool removed = std::find(diff->removed.begin(), diff->removed.end(), name) != diff->removed.end();
    if (changed || removed)
      Warning("{}: the main program is never restarted by a reload; its new definition applies "
              "when the container starts again", name);
    Erase(&diff->changed, name);
    Erase(&diff->removed, name);
    Replace(&next->services, main->svc->config());
  }
  // Only one main: a new one waits for the next start of the container.
  for (const std::string& name : std::vector<std::string>(diff->added)) {
    const ServiceConfig* cfg = next->Find(name);
    if (!cfg || !cfg->main || !main) continue;
    Warning("{}: main = true, but {} is the main program already; {} starts with the next start "
            "of the container", name, main->svc->name(), name);
    ServiceConfig off = *cfg;
    off.enabled = false;
    Replace(&next->services, off);
    Erase(&diff->added, name);
  }
}

void Supervisor::Reload(Config next, SupervisorSettings settings, ControlDone done) {
  if (phase_ != Phase::kRunning) {
    Warning("reload ignored: steward is stopping");
    if (done) done(1, "steward is stopping; reload ignored\n");
    return;
  }
  // Global settings apply at once; the command line still wins over the
  // file (the host resolved that).
  settings_.shutdown_timeout = settings.shutdown_timeout;
  settings_.grace = settings.grace;
  settings_.kill_mode = settings.kill_mode;

  ConfigDiff diff = DiffConfigs(config_, next);
  KeepMain(&next, &diff);

  ReloadOp op;
  op.done = std::move(done);
  for (const std::string& name : diff.removed) {
    Slot* slot = Find(name);
    slot->svc->SetWant(Want::kDown);
    op.stopping.push_back(slot);
    op.removed.push_back(slot);
  }
  for (const std::string& name : diff.changed) {
    Slot* slot = Find(name);
    // Stopped on purpose (ctl stop) and down: it takes the new definition
    // and stays down.
    bool wanted = slot->svc->want() == Want::kUp;
    op.changed.emplace_back(slot, *next.Find(name));
    if (wanted || !slot->svc->IsDown()) op.stopping.push_back(slot);
    if (!wanted) continue;
    slot->svc->SetWant(Want::kDown);
    op.restart.push_back(slot);
  }
  op.added = diff.added;
  // A restart asked for earlier must not start again what the reload takes
  // down: the reload restarts it, or it is gone.
  for (PendingOp& pending : pending_) {
    auto& then = pending.then_start;
    then.erase(std::remove_if(then.begin(), then.end(),
                              [&op](Slot* s) {
                                return std::find(op.stopping.begin(), op.stopping.end(), s) !=
                                       op.stopping.end();
                              }),
               then.end());
  }
  for (auto& slot : slots_) {
    const Service& s = *slot->svc;
    bool touched = std::find(op.stopping.begin(), op.stopping.end(), slot.get()) != op.stopping.end();
    if (!touched && s.config().enabled && s.state() == State::kBlocked && s.want() == Want::kUp)
      op.retry.push_back(slot.get());
  }
  op.report = Lines("stopped", diff.removed);
  // Unchanged services keep everything but the default kill mode, which
  // only says how a stop is sent.
  for (auto& slot : slots_) {
    if (!slot->svc->config().enabled) continue;
    const ServiceConfig* now = next.Find(slot->svc->name());
    if (now && SameService(*now, slot->svc->config()))
      slot->svc->Reconfigure(slot->svc->config(), settings_.kill_mode);
  }
  reload_host_->ConfigApplied(next, diff.log_changed);
  if (diff.log_changed) op.report += "reconfigured [log]\n";
  config_ = std::move(next);
  if (diff.empty() && op.retry.empty()) {
    if (op.done) op.done(0, "no changes\n");
    return;
  }
  reload_ = std::move(op);
  dirty_ = true;
}

bool Supervisor::Reloading(const Slot* slot) const {
  return reload_ &&
         std::find(reload_->stopping.begin(), reload_->stopping.end(), slot) != reload_->stopping.end();
}

// Part of every Settle() pass: once everything the reload stops is down,
// the new definitions go in and the new set is wanted up.
void Supervisor::CheckReload() {
  if (!reload_) return;
  if (phase_ != Phase::kRunning) {
    ReloadOp op = std::move(*reload_);
    reload_.reset();
    if (op.done) op.done(1, "steward is stopping; the reload was not finished\n");
    for (ControlDone& d : std::exchange(queued_reloads_, {}))
      if (d) d(1, "steward is stopping; reload ignored\n");
    return;
  }
  for (Slot* s : reload_->stopping) {
    if (!s->svc->IsDown()) return;
  }
  ReloadOp op = std::move(*reload_);
  reload_.reset();
  FinishReload(std::move(op));
  // Reloads asked for meanwhile: one read of the configuration for all.
  if (!queued_reloads_.empty()) {
    std::vector<ControlDone> waiting = std::exchange(queued_reloads_, {});
    ControlReload([waiting](int code, const std::string& text) {
      for (const ControlDone& d : waiting)
        if (d) d(code, text);
    });
  }
}

void Supervisor::FinishReload(ReloadOp op) {
  for (Slot* s : op.removed) {
    reload_host_->ServiceRemoved(*s->svc);
    ServiceConfig off = s->svc->config();
    off.enabled = false;
    s->svc->Reconfigure(std::move(off), settings_.kill_mode);
  }
  for (auto& [slot, cfg] : op.changed) slot->svc->Reconfigure(std::move(cfg), settings_.kill_mode);
  std::vector<Slot*> start = op.restart;
  for (const std::string& name : op.added) {
    const ServiceConfig& cfg = *config_.Find(name);
    Slot* slot = nullptr;
    for (auto& s : slots_) {
      if (s->svc->name() == name) slot = s.get();
    }
    if (slot) {
      // Removed or disabled by an earlier reload (or at start): the host
      // knows it already.
      slot->svc->Reconfigure(cfg, settings_.kill_mode);
    } else {
      auto fresh = std::make_unique<Slot>();
      fresh->svc = std::make_unique<Service>(cfg, settings_.kill_mode, services_);
      slot = fresh.get();
      slots_.push_back(std::move(fresh));
      reload_host_->ServiceAdded(*slot->svc);
    }
    start.push_back(slot);
  }
  std::sort(slots_.begin(), slots_.end(),
            [](const auto& a, const auto& b) { return a->svc->name() < b->svc->name(); });
  RebuildGraph();
  for (Slot* s : op.retry) start.push_back(s);

  std::string report = op.report;
  for (Slot* s : op.restart) report += fmt::format("restarted {}\n", s->svc->name());
  for (auto& [slot, cfg] : op.changed) {
    if (std::find(op.restart.begin(), op.restart.end(), slot) == op.restart.end())
      report += fmt::format("updated {} (stopped; it takes the new definition at its next start)\n",
                            slot->svc->name());
  }
  report += Lines("started", op.added);
  for (Slot* s : op.retry) report += fmt::format("retried {} (was blocked)\n", s->svc->name());
  ControlDone done = std::move(op.done);
  if (start.empty()) {
    if (done) done(0, report);
    return;
  }
  StartSet(start, true, [done, report](int code, const std::string& failed) {
    if (done) done(code, report + failed);
  }, "");
}

// Dependencies and dependents, from the definitions now in the slots.
void Supervisor::RebuildGraph() {
  std::vector<const ServiceConfig*> services;
  for (auto& slot : slots_) services.push_back(&slot->svc->config());
  graph_ = DepGraph(services);
}

}  // namespace steward
