// The ctl client's trust in a control socket (SocketTrustProblem): its
// directory owned by another uid, open to others, a symbolic link; the
// socket owned by another uid or not a socket. The real refusal, against a
// socket `nobody` made, is in tests/integration/control_trust_test.cpp.
#include "steward/control/ctl.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

struct stat Stat(mode_t mode, uid_t uid) {
  struct stat st = {};
  st.st_mode = mode;
  st.st_uid = uid;
  return st;
}

const std::string kPath = "/tmp/steward-0/control.sock";
const std::string kFix = "or point --runtime-dir at steward's runtime directory";

TEST(CtlTrust, OwnOrRootsDirectoryAndSocketAreTrusted) {
  struct stat sock = Stat(S_IFSOCK | 0600, 1000);
  EXPECT_EQ("", SocketTrustProblem(kPath, Stat(S_IFDIR | 0755, 1000), &sock, 1000));
  EXPECT_EQ("", SocketTrustProblem(kPath, Stat(S_IFDIR | 0700, 0), &sock, 1000));
  struct stat root_sock = Stat(S_IFSOCK | 0660, 0);
  EXPECT_EQ("", SocketTrustProblem(kPath, Stat(S_IFDIR | 0755, 0), &root_sock, 1000));
  EXPECT_EQ("", SocketTrustProblem(kPath, Stat(S_IFDIR | 0755, 0), nullptr, 0));
}

TEST(CtlTrust, DirectoryOfAnotherUidIsRefused) {
  struct stat sock = Stat(S_IFSOCK | 0600, 0);
  EXPECT_EQ("refusing /tmp/steward-0/control.sock: its directory /tmp/steward-0 belongs to uid "
            "65534, not to you (uid 0) or root, so anyone may have made the socket; remove "
            "/tmp/steward-0 " + kFix,
            SocketTrustProblem(kPath, Stat(S_IFDIR | 0755, 65534), &sock, 0));
  // Before the socket is looked at: also when there is none.
  EXPECT_NE("", SocketTrustProblem(kPath, Stat(S_IFDIR | 0700, 1000), nullptr, 0));
}

TEST(CtlTrust, DirectoryWritableByOthersIsRefused) {
  struct stat sock = Stat(S_IFSOCK | 0600, 0);
  EXPECT_EQ("refusing /tmp/steward-0/control.sock: its directory /tmp/steward-0 is writable by "
            "others (mode 0777), so anyone may have made the socket; chmod go-w /tmp/steward-0 " +
                kFix,
            SocketTrustProblem(kPath, Stat(S_IFDIR | 0777, 0), &sock, 0));
  EXPECT_NE("", SocketTrustProblem(kPath, Stat(S_IFDIR | 01777, 0), &sock, 0));
  EXPECT_NE("", SocketTrustProblem(kPath, Stat(S_IFDIR | 0775, 0), &sock, 0));
}

TEST(CtlTrust, DirectoryThatIsASymlinkIsRefused) {
  struct stat sock = Stat(S_IFSOCK | 0600, 0);
  EXPECT_EQ("refusing /tmp/steward-0/control.sock: its directory /tmp/steward-0 is a symbolic "
            "link, not a directory; remove /tmp/steward-0 " + kFix,
            SocketTrustProblem(kPath, Stat(S_IFLNK | 0777, 0), &sock, 0));
}

TEST(CtlTrust, SocketOfAnotherUidOrNotASocketIsRefused) {
  struct stat sock = Stat(S_IFSOCK | 0777, 65534);
  EXPECT_EQ("refusing /tmp/steward-0/control.sock: the socket belongs to uid 65534, not to you "
            "(uid 0) or root, so it is not steward's; remove /tmp/steward-0/control.sock " + kFix,
            SocketTrustProblem(kPath, Stat(S_IFDIR | 0755, 0), &sock, 0));
  struct stat link = Stat(S_IFLNK | 0777, 0);
  EXPECT_EQ("refusing /tmp/steward-0/control.sock: it is a symbolic link, not a socket; remove "
            "/tmp/steward-0/control.sock " + kFix,
            SocketTrustProblem(kPath, Stat(S_IFDIR | 0755, 0), &link, 0));
}

TEST(CtlArgs, VerboseComesBeforeTheVerb) {
  CtlArgs a;
  std::string err;
  ASSERT_TRUE(ParseCtlArgs({"--verbose", "health"}, &a, &err)) << err;
  EXPECT_TRUE(a.verbose);
  EXPECT_EQ(std::vector<std::string>{"health"}, a.request);
  ASSERT_TRUE(ParseCtlArgs({"-v", "--runtime-dir", "/x", "status"}, &a, &err)) << err;
  EXPECT_TRUE(a.verbose);
  ASSERT_TRUE(ParseCtlArgs({"status"}, &a, &err)) << err;
  EXPECT_FALSE(a.verbose);
}

}  // namespace
}  // namespace steward
