// A destination of records inside the forwarder: the console, a file sink or
// a network sink (SPEC §5 "Sinks").
//
// Batched: during one turn of the event loop the forwarder Add()s records,
// then calls Flush() once, the commit point. Flush() returns true when the
// batch is safe (written to stdout or a file, or stored in the spool);
// otherwise the sink is *outstanding*: it keeps the batch, the forwarder
// stops feeding it and keeps the journal cursors of the sources that fed it,
// and the sink calls its ready callback once the batch is safe. Records are
// therefore never acknowledged before they are safe, which is what lets a
// killed forwarder lose nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "steward/log/forwarder/record.hpp"

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
  // Records this sink dropped since it started (spool overflow).
  virtual uint64_t dropped() const { return 0; }

  const std::string& name() const { return name_; }
  int index() const { return index_; }
  bool outstanding() const { return outstanding_; }

 protected:
  // An outstanding batch is now safe.
  void Done() {
    outstanding_ = false;
    ready_(this);
  }
  bool outstanding_ = false;

 private:
  std::string name_;
  int index_;  // bit in the forwarder's sink masks
  Ready ready_;
};

}  // namespace steward::log
