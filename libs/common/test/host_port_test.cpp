// SPDX-License-Identifier: Apache-2.0
// Tests of the one host:port parser, including the cases moved here from
// libs/service (split_host_port) and services/admin (admin_config_test).
#include <gtest/gtest.h>

#include "mail/common/config.h"
#include "mail/common/host_port.h"

using namespace mail::common;

namespace {

TEST(HostPort, Parses) {
  EXPECT_EQ(parse_host_port("127.0.0.1:9106"), (HostPort{"127.0.0.1", 9106}));
  EXPECT_EQ(parse_host_port(":80"), (HostPort{"0.0.0.0", 80}));
  EXPECT_EQ(parse_host_port("[::]:0"), (HostPort{"::", 0}));
  EXPECT_EQ(parse_host_port("[::1]:995"), (HostPort{"::1", 995}));
  EXPECT_EQ(parse_host_port("mail.example.test:25"), (HostPort{"mail.example.test", 25}));
  EXPECT_EQ(parse_host_port("0.0.0.0:65535"), (HostPort{"0.0.0.0", 65535}));
  EXPECT_EQ(parse_host_port("h:00025"), (HostPort{"h", 25}));
}

TEST(HostPort, Refuses) {
  for (const char* bad : {"host:", "host:12x", "host", "", ":", "h:65536", "h:-1", "h:+1", "h: 25", "h:123456",
                          "::1:25", "[::1]25", "[::1]", "[]:25", "[::1:25", "a]:25", "a b:25", "h\n:25"})
    EXPECT_THROW(parse_host_port(bad), ConfigError) << bad;
}

TEST(HostPort, Formats) {
  EXPECT_EQ(format_host_port({"127.0.0.1", 25}), "127.0.0.1:25");
  EXPECT_EQ(format_host_port({"::1", 110}), "[::1]:110");
  for (const char* text : {"127.0.0.1:9106", "[::1]:995", "mx.example:25"})
    EXPECT_EQ(format_host_port(parse_host_port(text)), text);
}

}  // namespace
