// The forwarder's side of `steward ctl logs`: a ring of recent records per
// service and the clients PID 1 hands over (ring.hpp, tail.hpp).
#include "forwarder_internal.hpp"

#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>

namespace steward::log::forwarder {

LogRing* Forwarder::RingFor(const std::string& service) {
  if (cfg_.ring == 0) return nullptr;
  auto& ring = rings_[service];
  if (!ring) ring = std::make_unique<LogRing>(size_t(cfg_.ring));
  return ring.get();
}

void Forwarder::Remember(LogRing* ring, const Record& r) {
  if (!ring) return;
  ring->Append(r.time_us, r.stream, r.line);
  rings_grew_ = true;
}

// The client is answered from the ring at once; with -f it stays until it
// hangs up or steward stops. Its name was checked by PID 1 against the
// configuration: a service that never wrote has an empty ring.
void Forwarder::Tail(const TailMsg& m, UniqueFd client) {
  tails_.erase(std::remove_if(tails_.begin(), tails_.end(), [](auto& t) { return t->done(); }),
               tails_.end());
  if (tails_.size() >= kMaxTails || cfg_.ring == 0) {
    std::string answer = cfg_.ring == 0
        ? std::string("1\nctl logs keeps nothing: log.ring is 0 in the global file\n")
        : fmt::format("1\ntoo many ctl logs clients at once ({}); try again later\n", kMaxTails);
    (void)!send(client.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  LogRing* ring = nullptr;
  if (m.configured) {
    ring = RingFor(m.service);
  } else if (auto it = rings_.find(m.service); it != rings_.end()) {
    ring = it->second.get();  // a syslog tag's
  } else {
    std::string answer = fmt::format("2\nunknown service: {} (see steward ctl status)\n", m.service);
    (void)!send(client.get(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  tails_.push_back(std::make_unique<LogTail>(loop_, std::move(client), ring,
                                             size_t(std::max<int64_t>(0, m.lines)), m.follow));
}

// The ring of a syslog tag that is no service, so that `ctl logs TAG`
// works for a daemon that only logs with syslog(3). Tags are untrusted: at
// most kMaxTagRings of them get a ring of their own, later ones share
// the ring "syslog" (as they share a file sink's {service}).
LogRing* Forwarder::TagRing(const std::string& tag) {
  if (cfg_.ring == 0) return nullptr;
  if (auto it = rings_.find(tag); it != rings_.end()) return it->second.get();
  return RingFor(rings_.size() < services_.size() + kMaxTagRings ? tag : "syslog");
}

// Once per turn of the loop: followers get what the rings gained (one write
// per turn, not one per line), and finished clients are forgotten.
void Forwarder::ServeTails() {
  if (rings_grew_) {
    for (auto& t : tails_) t->Notify();
    rings_grew_ = false;
  }
  tails_.erase(std::remove_if(tails_.begin(), tails_.end(), [](auto& t) { return t->done(); }),
               tails_.end());
}

}  // namespace steward::log::forwarder
