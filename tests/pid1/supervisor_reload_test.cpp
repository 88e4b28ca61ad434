// Reload's diff walked with the fake host, case by case (SPEC §4): unchanged
// services untouched, changed ones restarted in order, removed ones stopped
// dependents first, new ones started dependencies first, the main program
// never restarted, a refused configuration changing nothing.
#include "supervisor_fixture.hpp"

namespace steward {
namespace {

using namespace testing_support;

Config Of(std::vector<ServiceConfig> services) {
  Config c;
  c.services = std::move(services);
  std::sort(c.services.begin(), c.services.end(),
            [](const ServiceConfig& a, const ServiceConfig& b) { return a.name < b.name; });
  return c;
}

ServiceConfig Changed(ServiceConfig c) {
  c.command.argv.push_back("--new");
  return c;
}

class ReloadTest : public SupervisorTest {
 protected:
  int code = -1;
  std::string text;
  bool answered = false;

  void Reload(std::vector<ServiceConfig> next) {
    answered = false;
    sup->Reload(Of(std::move(next)), SupervisorSettings{}, [this](int c, const std::string& t) {
      code = c;
      text = t;
      answered = true;
    });
    sup->Settle();
  }
  pid_t Pid(const std::string& name) {
    for (const ServiceStatus& st : sup->Status())
      if (st.name == name) return st.pid;
    return 0;
  }
  bool Listed(const std::string& name) {
    for (const ServiceStatus& st : sup->Status())
      if (st.name == name) return true;
    return false;
  }
};

TEST_F(ReloadTest, UnchangedServicesAreNotTouched) {
  Make({Svc("db"), Svc("app", {"db"})});
  pid_t db = Pid("db"), app = Pid("app");
  TakeLog();
  Reload({Svc("db"), Svc("app", {"db"})});
  ASSERT_TRUE(answered);
  EXPECT_EQ(0, code);
  EXPECT_EQ("no changes\n", text);
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());  // no launch, no signal
  EXPECT_EQ(db, Pid("db"));
  EXPECT_EQ(app, Pid("app"));
  EXPECT_EQ(1, host.applied);
}

TEST_F(ReloadTest, ChangedServicesStopDependentsFirstAndStartDependenciesFirst) {
  Make({Svc("app", {"db"}), Svc("db"), Svc("other")});  // in name order, as loaded
  pid_t other = Pid("other");
  TakeLog();
  Reload({Changed(Svc("db")), Changed(Svc("app", {"db"})), Svc("other")});
  EXPECT_FALSE(answered);
  EXPECT_EQ(std::vector<std::string>{"kill app 15"}, TakeLog());  // db waits for app
  Exit("app", 15);
  EXPECT_EQ(std::vector<std::string>{"kill db 15"}, TakeLog());
  EXPECT_FALSE(answered);
  Exit("db", 15);
  EXPECT_EQ((std::vector<std::string>{"launch db", "launch app"}), TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ(0, code);
  EXPECT_EQ("restarted app\nrestarted db\n", text);
  EXPECT_EQ(other, Pid("other"));
  EXPECT_EQ(State::kReady, StateOf("app"));
}

TEST_F(ReloadTest, AChangedDependencyRestartsUnderAnUnchangedDependent) {
  // SPEC §4 step 4: app is unchanged, so it keeps its process while db
  // restarts below it.
  Make({Svc("db"), Svc("app", {"db"})});
  pid_t app = Pid("app");
  TakeLog();
  Reload({Changed(Svc("db")), Svc("app", {"db"})});
  EXPECT_EQ(std::vector<std::string>{"kill db 15"}, TakeLog());
  Exit("db", 15);
  EXPECT_EQ(std::vector<std::string>{"launch db"}, TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ("restarted db\n", text);
  EXPECT_EQ(app, Pid("app"));
}

TEST_F(ReloadTest, RemovedServicesStopDependentsFirstAndLeaveStatus) {
  Make({Svc("app", {"db"}), Svc("db"), Svc("keep")});
  TakeLog();
  ServiceConfig db_off = Svc("db");
  db_off.enabled = false;  // newly disabled counts as removed
  Reload({db_off, Svc("keep")});
  EXPECT_EQ(std::vector<std::string>{"kill app 15"}, TakeLog());
  Exit("app", 15);
  EXPECT_EQ(std::vector<std::string>{"kill db 15"}, TakeLog());
  Exit("db", 15);
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ(0, code);
  EXPECT_EQ("stopped app\nstopped db\n", text);
  EXPECT_EQ((std::vector<std::string>{"app", "db"}), host.removed);
  EXPECT_FALSE(Listed("app"));
  EXPECT_FALSE(Listed("db"));
  EXPECT_TRUE(Listed("keep"));
}

TEST_F(ReloadTest, NewServicesStartInDependencyOrder) {
  Make({Svc("db")});
  TakeLog();
  ServiceConfig cache = Svc("cache");
  cache.ready.kind = ReadyCheck::Kind::kFile;  // web must wait for it
  Reload({Svc("db"), cache, Svc("web", {"cache"})});
  EXPECT_EQ(std::vector<std::string>{"launch cache"}, TakeLog());
  EXPECT_FALSE(answered);
  sup->OnServiceReady(*sup->services()[0]);  // cache: first by name
  sup->Settle();
  EXPECT_EQ(std::vector<std::string>{"launch web"}, TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ("started cache\nstarted web\n", text);
  EXPECT_EQ((std::vector<std::string>{"cache", "web"}), host.added);
}

TEST_F(ReloadTest, ANewDependencyOfARunningServiceStartsBeforeItsRestart) {
  Make({Svc("app")});
  TakeLog();
  Reload({Svc("app", {"cache"}), Svc("cache")});
  EXPECT_EQ(std::vector<std::string>{"kill app 15"}, TakeLog());
  Exit("app", 15);
  EXPECT_EQ((std::vector<std::string>{"launch cache", "launch app"}), TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ("restarted app\nstarted cache\n", text);
}

TEST_F(ReloadTest, TheMainProgramIsNeverRestarted) {
  ServiceConfig main = Svc("main", {"db"});
  main.main = true;
  Make({Svc("db"), main});
  pid_t pid = Pid("main");
  TakeLog();
  Reload({Svc("db"), Changed(main)});
  ASSERT_TRUE(answered);
  EXPECT_EQ("no changes\n", text);
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());
  EXPECT_EQ(pid, Pid("main"));
  // Removed from the files: still running, still main.
  Reload({Svc("db")});
  EXPECT_EQ("no changes\n", text);
  EXPECT_EQ(pid, Pid("main"));
}

TEST_F(ReloadTest, IgnoredWhileStopping) {
  Make({Svc("db")});
  Signal(SIGTERM);
  TakeLog();
  Reload({Svc("db"), Svc("new")});
  ASSERT_TRUE(answered);
  EXPECT_EQ(1, code);
  EXPECT_EQ("steward is stopping; reload ignored\n", text);
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());
}

TEST_F(ReloadTest, ARefusedConfigurationChangesNothing) {
  Make({Svc("db"), Svc("app", {"db"})});
  pid_t db = Pid("db");
  TakeLog();
  host.read_errors = {"/etc/services/app.toml:2:11: unknown key 'comand'"};
  sup->ControlReload([this](int c, const std::string& t) {
    code = c;
    text = t;
    answered = true;
  });
  sup->Settle();
  ASSERT_TRUE(answered);
  EXPECT_EQ(1, code);
  EXPECT_EQ("/etc/services/app.toml:2:11: unknown key 'comand'\n"
            "reload refused: 1 configuration error; the running services carry on untouched\n",
            text);
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());
  EXPECT_EQ(db, Pid("db"));
  EXPECT_EQ(0, host.applied);
}

TEST_F(ReloadTest, SighupReadsTheConfigurationAndApplies) {
  Make({Svc("db")});
  TakeLog();
  host.next_config = Of({Svc("db"), Svc("cache")});
  Signal(SIGHUP);
  EXPECT_EQ(std::vector<std::string>{"launch cache"}, TakeLog());
  EXPECT_EQ(1, host.applied);
}

TEST_F(ReloadTest, AReloadAskedWhileOneIsAppliedReadsAgainAfterIt) {
  Make({Svc("db")});
  TakeLog();
  host.next_config = Of({Changed(Svc("db"))});
  std::vector<std::string> answers;
  auto record = [&answers](int c, const std::string& t) { answers.push_back(std::to_string(c) + " " + t); };
  sup->ControlReload(record);
  sup->Settle();
  EXPECT_EQ(std::vector<std::string>{"kill db 15"}, TakeLog());
  host.next_config = Of({Changed(Svc("db")), Svc("cache")});
  sup->ControlReload(record);  // queued: the first is still stopping db
  sup->Settle();
  EXPECT_EQ(std::vector<std::string>{}, answers);
  Exit("db", 15);
  EXPECT_EQ((std::vector<std::string>{"launch db", "launch cache"}), TakeLog());
  EXPECT_EQ((std::vector<std::string>{"0 restarted db\n", "0 started cache\n"}), answers);
}

TEST_F(ReloadTest, ABlockedServiceIsRetriedWhenItsDependencyIsFixed) {
  host.fail_launch = {"db"};
  Make({Svc("db"), Svc("app", {"db"})});
  EXPECT_EQ(State::kFailed, StateOf("db"));
  EXPECT_EQ(State::kBlocked, StateOf("app"));
  TakeLog();
  host.fail_launch.clear();
  Reload({Changed(Svc("db")), Svc("app", {"db"})});
  EXPECT_EQ((std::vector<std::string>{"launch db", "launch app"}), TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ(0, code);
  EXPECT_EQ("restarted db\nretried app (was blocked)\n", text);
}

TEST_F(ReloadTest, AServiceRemovedAndAddedAgainComesBack) {
  Make({Svc("db"), Svc("web")});
  Reload({Svc("db")});
  Exit("web", 15);
  ASSERT_TRUE(answered);
  TakeLog();
  Reload({Svc("db"), Svc("web")});
  EXPECT_EQ(std::vector<std::string>{"launch web"}, TakeLog());
  EXPECT_EQ("started web\n", text);
  EXPECT_TRUE(Listed("web"));
  EXPECT_EQ(std::vector<std::string>{}, host.added);  // the host knew it already
}

TEST_F(ReloadTest, AChangedServiceStoppedByHandStaysDown) {
  Make({Svc("db"), Svc("web")});
  sup->ControlStop({"web"}, false, nullptr);
  sup->Settle();
  Exit("web", 15);
  TakeLog();
  Reload({Svc("db"), Changed(Svc("web"))});
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());
  ASSERT_TRUE(answered);
  EXPECT_EQ("updated web (stopped; it takes the new definition at its next start)\n", text);
  sup->ControlStart({"web"}, false, nullptr);
  sup->Settle();
  EXPECT_EQ(std::vector<std::string>{"launch web"}, TakeLog());
  EXPECT_EQ("--new", sup->services()[1]->config().command.argv.back());
}

TEST_F(ReloadTest, CtlStartAndRestartCannotBringBackWhatTheReloadTakesDown) {
  Make({Svc("db"), Svc("web")});
  TakeLog();
  sup->ControlRestart({"web"}, false, false, nullptr);  // web stopping, to start again
  sup->Settle();
  EXPECT_EQ(std::vector<std::string>{"kill web 15"}, TakeLog());
  Reload({Svc("db")});  // web removed meanwhile
  int start_code = -1;
  std::string start_text;
  sup->ControlStart({"web"}, true, [&](int c, const std::string& t) {
    start_code = c;
    start_text = t;
  });
  EXPECT_EQ(1, start_code);
  EXPECT_EQ("web: a reload is restarting or removing it; try again once it is done\n", start_text);
  Exit("web", 15);
  EXPECT_EQ(std::vector<std::string>{}, TakeLog());  // the restart's second half is dropped
  ASSERT_TRUE(answered);
  EXPECT_EQ("stopped web\n", text);
  EXPECT_FALSE(Listed("web"));
}

TEST_F(ReloadTest, LogChangesReachTheHost) {
  Make({Svc("db")});
  Config next = Of({Svc("db")});
  SinkConfig file;
  file.name = "all";
  file.path = "/var/log/all.log";
  next.global.log.sinks.push_back(file);
  sup->Reload(next, SupervisorSettings{}, [this](int c, const std::string& t) {
    code = c;
    text = t;
  });
  sup->Settle();
  EXPECT_EQ(1, host.log_changes);
  EXPECT_EQ("reconfigured [log]\n", text);
  EXPECT_EQ("all", sup->config().global.log.sinks[0].name);
}

// Garbage in the shape reload gets: random acyclic service sets, enabled or
// not, changed or not, applied one after another. After each reload, once
// every stop the fake host sees has completed: the answer came, every
// enabled service runs, unchanged ones kept their pid, changed ones have a
// new one, and nothing removed is left.
TEST_F(ReloadTest, RandomReloadSequencesKeepTheInvariants) {
  uint64_t seed = 0x5eed;
  auto next = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  auto random_set = [&] {
    std::vector<ServiceConfig> set;
    for (int i = 0; i < 7; ++i) {
      if (next(3) == 0) continue;
      ServiceConfig c = Svc("s" + std::to_string(i));
      for (const ServiceConfig& earlier : set) {
        if (earlier.enabled && next(3) == 0) c.depends_on.push_back(earlier.name);
      }
      if (next(4) == 0) c.command.argv.push_back("--variant");
      c.enabled = next(6) != 0;
      set.push_back(c);
    }
    return set;
  };
  auto finish_stops = [&] {
    for (int round = 0; round < 20; ++round) {
      bool any = false;
      for (const ServiceStatus& st : sup->Status()) {
        if (st.state != State::kStopping) continue;
        Exit(st.name, 15);
        any = true;
      }
      if (!any) return;
    }
  };
  Make(random_set());
  std::map<std::string, int> seen;  // what the answers said, over all steps
  for (int step = 0; step < 300; ++step) {
    std::map<std::string, std::pair<pid_t, ServiceConfig>> before;
    for (const ServiceStatus& st : sup->Status()) before[st.name] = {st.pid, *sup->config().Find(st.name)};
    std::vector<ServiceConfig> set = random_set();
    Reload(set);
    finish_stops();
    ASSERT_TRUE(answered) << "step " << step;
    ASSERT_EQ(0, code) << "step " << step << ": " << text;
    for (size_t from = 0, nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
      ++seen[text.substr(from, text.find(' ', from) - from)];
    std::map<std::string, ServiceStatus> now;
    for (const ServiceStatus& st : sup->Status()) now[st.name] = st;
    for (const ServiceConfig& c : set) {
      if (!c.enabled) {
        EXPECT_EQ(0u, now.count(c.name)) << "step " << step << ": " << c.name << " disabled";
        continue;
      }
      ASSERT_EQ(1u, now.count(c.name)) << "step " << step << ": " << c.name;
      const ServiceStatus& st = now[c.name];
      EXPECT_EQ(State::kReady, st.state) << "step " << step << ": " << c.name;
      EXPECT_GT(st.pid, 0) << "step " << step << ": " << c.name;
      auto was = before.find(c.name);
      if (was == before.end()) continue;
      if (SameService(was->second.second, c)) {
        EXPECT_EQ(was->second.first, st.pid) << "step " << step << ": unchanged " << c.name;
      } else {
        EXPECT_NE(was->second.first, st.pid) << "step " << step << ": changed " << c.name;
      }
    }
    EXPECT_EQ(now.size(), size_t(std::count_if(set.begin(), set.end(),
                                               [](const ServiceConfig& c) { return c.enabled; })))
        << "step " << step;
  }
  // The sequence did exercise every kind of change.
  EXPECT_GT(seen["restarted"], 100);
  EXPECT_GT(seen["started"], 100);
  EXPECT_GT(seen["stopped"], 100);
}

}  // namespace
}  // namespace steward
