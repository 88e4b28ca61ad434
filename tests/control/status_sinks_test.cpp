// `ctl status` shows why a network sink cannot deliver (issue 10: TLS and
// RELP failures), beside its drop count.
#include "steward/control/control.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

TEST(StatusSinks, ProblemColumnAppearsWhenASinkCannotDeliver) {
  EXPECT_EQ(
      "NAME  STATE  PID  UPTIME  RESTARTS  READY  HEALTH  LAST EXIT\n"
      "\n"
      "SINK     DROPPED  PROBLEM\n"
      "central  0        TLS: certificate has expired\n"
      "files    3        -\n",
      FormatStatusTable({}, {{"central", 0, "TLS: certificate has expired"}, {"files", 3, ""}}));
}

TEST(StatusSinks, JsonCarriesTheProblemOnlyWhileThereIsOne) {
  EXPECT_EQ(
      "{\"services\":[],\"sinks\":[{\"name\":\"central\",\"dropped\":0,"
      "\"problem\":\"TLS: certificate has expired\"},{\"name\":\"files\",\"dropped\":3}]}\n",
      FormatStatusJson({}, {{"central", 0, "TLS: certificate has expired"}, {"files", 3, ""}}));
}

}  // namespace
}  // namespace steward
