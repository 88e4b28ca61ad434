// A destination of records inside the forwarder: the console, a file sink or
// a network sink (SPEC §5 "Sinks").
//
// Batched: during one turn of the event loop the forwarder Add()s records,
// then calls Flush() once, the commit point. Flush() returns true when the
// batch is safe (written to stdout or a file, stored in the spool, or taken
// into a file sink's bounded backlog while its file is in trouble);
// otherwise the sink is *outstanding*: it keeps the batch, the forwarder
// stops feeding it and keeps the journal cursors of the sources that fed it,
// and the sink calls its ready callback once the batch is safe. Records are
// therefore never acknowledged before they are safe, which is what lets a
// killed forwarder lose nothing (but the memory backlog of a file sink
// already in trouble: file_sink.hpp).
//
// A sink in trouble holds back only itself: it keeps what it cannot deliver
// in a backlog of its own (a spool, a file sink's memory) bounded by its
// `buffer`, and is outstanding only when that is full with overflow =
// "block". Errors follow sink_error.hpp: a transient one makes the records
// wait and be retried; a permanent one drops that record for this sink only,
// through Reject(), which counts it and queues one notice per cause for the
// forwarder to announce (`steward: warning: NAME: ...`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "steward/log/record.hpp"
#include "steward/log/sinks/sink_error.hpp"

namespace steward::log {

class Sink {
 public:
  using Ready = std::function<void(Sink*)>;

  Sink(std::string name, int index, Ready ready)
      : name_(std::move(name)), index_(index), ready_(std::move(ready)) {}
  virtual ~Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // display: the name the console shows (the service's prefix, or its name).
  virtual void Add(const Record& r, std::string_view display) = 0;
  // The commit point; see above. Called only when something was added.
  virtual bool Flush() = 0;
  // Nothing left to deliver (spool empty, nothing in flight): drain is done.
  virtual bool Idle() const { return !outstanding_; }
  // In an outage: it cannot deliver now (a collector down, backing off),
  // and waiting would only spend the stop budget; what it accepted is safe
  // where it keeps it (a network sink's spool). A sink kind says what an
  // outage is for it; by default a sink never has one.
  virtual bool InOutage() const { return false; }
  // The one rule of the drain at shutdown and of the reload's handover
  // (SPEC §5 "Delivery guarantees"): a sink is waited for until it is Idle,
  // but not while in an outage, unless a batch is still outstanding (not
  // yet safe anywhere: waiting is the only way not to lose it).
  bool NothingToWaitFor() const { return Idle() || (InOutage() && !outstanding_); }
  // Records this sink dropped since it started (a spool's or a backlog's
  // overflow).
  virtual uint64_t dropped() const { return 0; }
  // Records dropped for a permanent error (Reject()), since it started.
  uint64_t rejected() const { return rejected_; }
  // Notices of new causes of rejection, each once; the forwarder announces them.
  bool has_notices() const { return !notices_.empty(); }
  std::vector<std::string> TakeNotices() { return std::move(notices_); }

  const std::string& name() const { return name_; }
  int index() const { return index_; }
  bool outstanding() const { return outstanding_; }

 protected:
  // An outstanding batch is now safe.
  void Done() {
    outstanding_ = false;
    ready_(this);
  }
  // n records can never be delivered here (SPEC §5 "permanent"). The
  // first rejection of each cause is announced; later ones are only
  // counted. Causes are few (an operation and an errno), but they are
  // capped all the same: the count stays exact, only the texts stop.
  void Reject(uint64_t n, const SinkRejection& why) {
    rejected_ += n;
    Announce(why);
  }
  // Queues why.text for the forwarder to announce, the first time of its
  // cause only (a drop at the bound of a sink's backlog, say, counted in
  // dropped() by the sink itself).
  void Announce(const SinkRejection& why) {
    for (const std::string& c : causes_) {
      if (c == why.cause) return;
    }
    if (causes_.size() >= kMaxCauses) return;
    causes_.push_back(why.cause);
    notices_.push_back(why.text);
  }
  bool outstanding_ = false;

 private:
  static constexpr size_t kMaxCauses = 16;
  uint64_t rejected_ = 0;
  std::vector<std::string> causes_;   // announced already
  std::vector<std::string> notices_;  // to announce
  std::string name_;
  int index_;  // bit in the forwarder's sink masks
  Ready ready_;
};

}  // namespace steward::log
