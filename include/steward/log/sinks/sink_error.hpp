// How a sink error is treated (SPEC §5 "Delivery guarantees"): the one
// table every sink consults, so that a file sink, a network sink and the
// console agree on what waits and what is dropped.
//
//   transient  the destination may take the record later (no space, an I/O
//              error, a collector down or refusing, a descriptor limit):
//              the records wait in the sink's backlog (a spool, a file
//              sink's memory), bounded by its `buffer`, and are retried
//              with back-off; at the bound its `overflow` drops the oldest
//              or blocks the sources routed there.
//   permanent  this record can never be taken (a file name that cannot
//              exist, a path steward refuses to open for safety: a link, a
//              FIFO, a hard link where others can write; a record the
//              protocol cannot carry): the record is
//              dropped for this sink, counted, the cause announced once,
//              and the sink goes on with the next record.
//
// An error this table does not know is transient: waiting can be undone by
// fixing the destination, a drop cannot.
#pragma once

#include <string>

namespace steward::log {

enum class SinkFault { kTransient, kPermanent };

// By errno of a failed open(2), write(2), rename(2), connect(2), send(2).
SinkFault ClassifyErrno(int err);

// "transient" / "permanent", for messages and docs.
const char* SinkFaultName(SinkFault f);

// A permanent error seen by a sink: cause identifies it (one announcement per
// cause), text is the sentence announced (`cannot open PATH: File name too
// long; the record is dropped for this sink`).
struct SinkRejection {
  std::string cause;
  std::string text;
};

}  // namespace steward::log
