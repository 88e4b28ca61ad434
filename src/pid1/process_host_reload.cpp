// PID 1's OS side of a reload (SPEC §4, §7): reading the configuration
// again, the Procs of services a reload adds, the log pipeline following
// [log], and the configuration volume's watch, whose settled change
// installs the volume again and reloads when it differs from what is
// installed.
#include <errno.h>

#include "steward/config/config_volume.hpp"
#include "steward/pid1/control_server.hpp"
#include "steward/pid1/process_host.hpp"
#include "steward/util/diag.hpp"

extern char** environ;

namespace steward {

bool ProcessHost::ReadConfig(Config* config, SupervisorSettings* settings,
                             std::vector<std::string>* errors) {
  if (!read_) {
    errors->push_back("this steward cannot read its configuration again");
    return false;
  }
  if (!read_(config, settings, errors)) return false;
  EnvSinceStart(config);
  return true;
}

void ProcessHost::ServiceAdded(Service& s) { AddProc(&s); }

void ProcessHost::ServiceRemoved(Service& s) {
  launched_.erase(&s);
  // Its pipes close once the forwarder has read them to the end: the last
  // lines of a removed service still reach every sink.
  if (logs_) logs_->Detach(s.name());
}

void ProcessHost::ConfigApplied(const Config& config, bool log_changed) {
  if (logs_) {
    if (log_changed) logs_->Reconfigure(config.global.log);
    ExpectServices(config);
  }
  if (control_) control_->SetGroup(config.global.control_gid);
  WatchVolume(config);
}

// Watching follows the configuration: turned on, off, to another volume, or
// another settle time by a reload.
void ProcessHost::WatchVolume(const Config& config) {
  std::string path = ConfigVolumePath(config.global);
  if (path.empty() || !config.global.config_volume_watch) {
    if (volume_) Info("config volume {}: no longer watched", volume_path_);
    volume_.reset();
    volume_path_.clear();
    return;
  }
  if (volume_ && path == volume_path_) {
    volume_->set_settle(config.global.config_volume_settle);
    return;
  }
  volume_ = std::make_unique<VolumeWatcher>(loop_, path, config.global.config_volume_settle,
                                            [this] { OnVolumeChanged(); });
  std::string err;
  if (!volume_->Start(&err)) {
    Warning("config volume {}: cannot watch it ({}); changes apply on SIGHUP or steward ctl "
            "reload, or set config_volume_watch = false", path, err);
    volume_.reset();
    volume_path_.clear();
    return;
  }
  volume_path_ = path;
  Debug("config volume {}: watching {} director{}", path, volume_->watches(),
        volume_->watches() == 1 ? "y" : "ies");
}

// An event is not a change: the kubelet or an engine may touch the volume
// (its attributes, a rewrite with the same bytes) right after the start.
// Only a volume whose rendered files differ from what is installed (or one
// that cannot be rendered, which the reload reports) reloads.
void ProcessHost::OnVolumeChanged() {
  if (RenderedVolumeInstalled(RenderConfigVolume(volume_path_, "/", EnvironmentFrom(environ)))) {
    Debug("config volume {}: touched, but every file in it is installed as it is; no reload",
          volume_path_);
    return;
  }
  Info("config volume {}: changed; installing it again and reloading", volume_path_);
  sup_->OnConfigVolumeChanged();
}

}  // namespace steward
