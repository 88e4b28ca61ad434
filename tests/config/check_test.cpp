// `steward --check`'s first lines: the services directory read, and why.
#include "steward/config/check.hpp"

#include <gtest/gtest.h>

namespace steward {
namespace {

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(CheckTextTest, SaysWhichServicesDirectoryAndWhy) {
  Config c;
  c.services_dir = "/etc/services.d";
  c.services_dir_exists = true;
  c.services_dir_why = "/etc/services is a file: the network services database (netbase, Alpine)";
  EXPECT_EQ("services directory: /etc/services.d (/etc/services is a file: the network services "
            "database (netbase, Alpine))",
            FirstLine(CheckText(c)));
  c.services_dir_exists = false;
  c.services_dir_why = "/etc/services does not exist";
  EXPECT_EQ("services directory: /etc/services.d (does not exist; /etc/services does not exist)",
            FirstLine(CheckText(c)));
  c.services_dir = "/srv/services";  // given with --services: no reason to give
  c.services_dir_exists = true;
  c.services_dir_why = "";
  EXPECT_EQ("services directory: /srv/services", FirstLine(CheckText(c)));
}

}  // namespace
}  // namespace steward
