#include "steward/log/sinks/sink_error.hpp"

#include <errno.h>

#include <gtest/gtest.h>

namespace steward::log {
namespace {

TEST(SinkError, FullOrBrokenDestinationsAreTransient) {
  for (int err : {ENOSPC, EDQUOT, EIO, EFBIG, EACCES, EROFS, ENOENT, EMFILE, ENFILE, ENOMEM,
                  ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH, EAGAIN}) {
    EXPECT_EQ(SinkFault::kTransient, ClassifyErrno(err)) << err;
  }
}

TEST(SinkError, RecordsThatCanNeverBeTakenArePermanent) {
  for (int err : {ENAMETOOLONG, EINVAL, EILSEQ, EMSGSIZE, EISDIR, ELOOP, ENXIO, EMLINK}) {
    EXPECT_EQ(SinkFault::kPermanent, ClassifyErrno(err)) << err;
  }
}

TEST(SinkError, AnUnknownErrorWaits) { EXPECT_EQ(SinkFault::kTransient, ClassifyErrno(12345)); }

}  // namespace
}  // namespace steward::log
