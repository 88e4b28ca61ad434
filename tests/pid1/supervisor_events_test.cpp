// The Supervisor's events only record; the next settle pass acts: `ctl
// reload` and a changed configuration volume as SIGHUP, once each.
#include "supervisor_fixture.hpp"

namespace steward {
namespace {

using namespace testing_support;

Config Of(std::vector<ServiceConfig> services) {
  Config c;
  c.services = std::move(services);
  return c;
}

TEST_F(SupervisorTest, CtlReloadAndAVolumeChangeAreRecordedAndActedOnAtTheNextSettle) {
  Make({Svc("cache"), Svc("db")});
  TakeLog();
  host.next_config = Of({Svc("db")});
  std::vector<std::string> answers;
  sup->ControlReload([&answers](int c, const std::string& t) {
    answers.push_back(std::to_string(c) + " " + t);
  });
  EXPECT_EQ(0, host.reads);  // recorded only
  EXPECT_TRUE(sup->dirty());
  sup->Settle();
  EXPECT_EQ(1, host.reads);
  EXPECT_EQ(std::vector<std::string>{"kill cache 15"}, TakeLog());
  Exit("cache", SIGTERM);
  EXPECT_EQ(std::vector<std::string>{"0 stopped cache\n"}, answers);

  host.next_config = Of({Svc("cache"), Svc("db")});
  sup->OnConfigVolumeChanged();
  EXPECT_EQ(1, host.reads);
  sup->Settle();
  EXPECT_EQ(2, host.reads);
  EXPECT_EQ(std::vector<std::string>{"launch cache"}, TakeLog());
}

}  // namespace
}  // namespace steward
