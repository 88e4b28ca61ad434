// The classification of sink errors into transient and permanent (see
// sink_error.hpp for what each class makes a sink do).
#include "steward/log/sinks/sink_error.hpp"

#include <errno.h>

namespace steward::log {

SinkFault ClassifyErrno(int err) {
  switch (err) {
    // The name or the record itself is wrong: no retry can succeed.
    case ENAMETOOLONG:  // a {service} path longer than the filesystem allows
    case EINVAL:        // bytes the filesystem or protocol refuses
    case EILSEQ:        // a name the filesystem cannot encode
    case EMSGSIZE:      // a record larger than one datagram can carry
    case EISDIR:        // the record's file name is a directory
    case ELOOP:         // a symbolic link where steward does not follow one (safe_path.hpp)
    case ENXIO:         // a FIFO, socket or device where a file sink wants a regular file
    case EMLINK:        // a hard link in a directory others can write (safe_path.hpp)
    case EOVERFLOW:
    case E2BIG:
      return SinkFault::kPermanent;
    // ENOSPC, EDQUOT, EIO, EFBIG, EACCES, EROFS, ENOENT, EMFILE, ENFILE,
    // ENOMEM, ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ...: the
    // destination may recover (space freed, permissions fixed, collector
    // back); the records wait.
    default:
      return SinkFault::kTransient;
  }
}

const char* SinkFaultName(SinkFault f) {
  return f == SinkFault::kPermanent ? "permanent" : "transient";
}

}  // namespace steward::log
