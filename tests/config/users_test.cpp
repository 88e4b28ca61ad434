#include "steward/config/users.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace steward {
namespace {

const char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "+nis-line\n"
    "broken line without fields\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n";

const char kGroup[] =
    "root:x:0:\n"
    "www-data:x:33:\n"
    "video:x:44:www-data,app\n"
    "app:x:1000:\n"
    "docker:x:999:app\n";

// A fake image root with its own etc/passwd and etc/group.
class Users : public ::testing::Test {
 protected:
  void SetUp() override {
    mkdir((root_ + "/etc").c_str(), 0755);
    Write("/etc/passwd", kPasswd);
    Write("/etc/group", kGroup);
  }
  void Write(const std::string& rel, const char* text) {
    FILE* f = fopen((root_ + rel).c_str(), "w");
    ASSERT_NE(nullptr, f);
    fputs(text, f);
    fclose(f);
  }
  Identity Lookup(const std::string& user) {
    UserDb db(root_);
    Identity id;
    std::string err;
    EXPECT_TRUE(db.LookupUser(user, &id, &err)) << user << ": " << err;
    return id;
  }
  std::string LookupError(const std::string& user) {
    UserDb db(root_);
    Identity id;
    std::string err;
    EXPECT_FALSE(db.LookupUser(user, &id, &err)) << user;
    return err;
  }

  testing::TempDir tmp_{"users"};
  std::string root_ = tmp_.path();
};

TEST_F(Users, NameGivesUidGidHomeAndGroups) {
  Identity id = Lookup("www-data");
  EXPECT_TRUE(id.set);
  EXPECT_EQ(33u, id.uid);
  EXPECT_EQ(33u, id.gid);
  EXPECT_EQ("www-data", id.name);
  EXPECT_EQ("/var/www", id.home);
  EXPECT_EQ((std::vector<gid_t>{33, 44}), id.groups);
}

TEST_F(Users, SupplementaryGroupsAreEveryGroupListingTheUserAfterThePrimary) {
  EXPECT_EQ((std::vector<gid_t>{1000, 44, 999}), Lookup("app").groups);
  EXPECT_EQ((std::vector<gid_t>{0}), Lookup("root").groups);
}

TEST_F(Users, NumericUidInPasswdUsesItsEntry) {
  Identity id = Lookup("1000");
  EXPECT_EQ(1000u, id.uid);
  EXPECT_EQ(1000u, id.gid);
  EXPECT_EQ("app", id.name);
  EXPECT_EQ("/home/app", id.home);
  EXPECT_EQ((std::vector<gid_t>{1000, 44, 999}), id.groups);
}

TEST_F(Users, NumericUidMissingFromPasswdIsAllowedWithHomeSlashAndTheNumberAsName) {
  Identity id = Lookup("4242");
  EXPECT_TRUE(id.set);
  EXPECT_EQ(4242u, id.uid);
  EXPECT_EQ(4242u, id.gid);
  EXPECT_EQ("4242", id.name);  // USER and LOGNAME
  EXPECT_EQ("/", id.home);     // as su gives it, never steward's own HOME
  EXPECT_EQ((std::vector<gid_t>{4242}), id.groups);
}

TEST_F(Users, UidColonGid) {
  Identity id = Lookup("4242:5000");
  EXPECT_EQ(4242u, id.uid);
  EXPECT_EQ(5000u, id.gid);
  EXPECT_EQ((std::vector<gid_t>{5000}), id.groups);
}

TEST_F(Users, NameColonGroupMakesThatGroupPrimary) {
  Identity id = Lookup("app:docker");
  EXPECT_EQ(1000u, id.uid);
  EXPECT_EQ(999u, id.gid);
  EXPECT_EQ("app", id.name);
  EXPECT_EQ((std::vector<gid_t>{999, 44}), id.groups);
  EXPECT_EQ(33u, Lookup("www-data:33").gid);
  EXPECT_EQ(44u, Lookup("1000:video").gid);
}

TEST_F(Users, UnknownNamesNameTheFileToFix) {
  EXPECT_EQ("unknown user 'www' (not in " + root_ + "/etc/passwd)", LookupError("www"));
  EXPECT_EQ("unknown group 'wheel' (not in " + root_ + "/etc/group)", LookupError("app:wheel"));
  EXPECT_EQ("invalid uid '99999999999'", LookupError("99999999999"));
}

TEST_F(Users, MissingPasswdFileIsReportedForNamesOnly) {
  unlink((root_ + "/etc/passwd").c_str());
  EXPECT_EQ("unknown user 'app' (open(" + root_ + "/etc/passwd): No such file or directory)",
            LookupError("app"));
  EXPECT_EQ(1000u, Lookup("1000").uid);
}

TEST_F(Users, GroupKeyReplacesThePrimaryGroup) {
  UserDb db(root_);
  Identity id;
  std::string err;
  bool group_at_fault;
  ASSERT_TRUE(ResolveIdentity(&db, "app", "video", &id, &err, &group_at_fault)) << err;
  EXPECT_EQ(1000u, id.uid);
  EXPECT_EQ(44u, id.gid);
  EXPECT_EQ((std::vector<gid_t>{44, 999}), id.groups);
}

TEST_F(Users, GroupAloneKeepsStewardsUid) {
  UserDb db(root_);
  Identity id;
  std::string err;
  bool group_at_fault;
  ASSERT_TRUE(ResolveIdentity(&db, "", "docker", &id, &err, &group_at_fault)) << err;
  EXPECT_TRUE(id.set);
  EXPECT_EQ(getuid(), id.uid);
  EXPECT_EQ(999u, id.gid);
}

TEST_F(Users, ResolveIdentityTellsWhichValueIsWrong) {
  UserDb db(root_);
  Identity id;
  std::string err;
  bool group_at_fault;
  EXPECT_FALSE(ResolveIdentity(&db, "nobody", "video", &id, &err, &group_at_fault));
  EXPECT_FALSE(group_at_fault);
  EXPECT_FALSE(ResolveIdentity(&db, "app", "nogroup", &id, &err, &group_at_fault));
  EXPECT_TRUE(group_at_fault);
  EXPECT_EQ("unknown group 'nogroup' (not in " + root_ + "/etc/group)", err);
  EXPECT_FALSE(ResolveIdentity(&db, "app:video", "docker", &id, &err, &group_at_fault));
  EXPECT_TRUE(group_at_fault);
  EXPECT_EQ("group given twice: in 'user' (\"app:video\") and in 'group'", err);
}

TEST_F(Users, NothingGivenLeavesIdentityUnset) {
  UserDb db(root_);
  Identity id;
  std::string err;
  bool group_at_fault;
  ASSERT_TRUE(ResolveIdentity(&db, "", "", &id, &err, &group_at_fault));
  EXPECT_FALSE(id.set);
}

}  // namespace
}  // namespace steward
