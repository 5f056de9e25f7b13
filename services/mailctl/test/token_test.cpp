// SPDX-License-Identifier: Apache-2.0
// Where mailctl looks for the administrator's token, and how it reads it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "args.h"
#include "token.h"

namespace mail::mailctl {
namespace {

TEST(Token, OptionThenEnvironmentThenLocalRunThenEtc) {
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(find_token_file("/x/opt.token", "/x/env.token", "", none), "/x/opt.token");
  EXPECT_EQ(find_token_file("", "/x/env.token", "", none), "/x/env.token") << "explicit even if missing";
  EXPECT_EQ(find_token_file("", nullptr, "", none), std::nullopt);
  EXPECT_EQ(find_token_file("", "", "", none), std::nullopt) << "an empty variable is unset";

  const std::string exe = "/src/checkout/build/services/mailctl/mailctl";
  EXPECT_EQ(token_candidates("", nullptr, exe),
            (std::vector<std::string>{".run/secrets/admin.token", "/src/checkout/.run/secrets/admin.token",
                                      "/etc/mail/admin.token"}));
  std::set<std::string> present{"/src/checkout/.run/secrets/admin.token", "/etc/mail/admin.token"};
  auto exists = [&](const std::string& p) { return present.contains(p); };
  EXPECT_EQ(find_token_file("", nullptr, exe, exists), "/src/checkout/.run/secrets/admin.token");
  present.insert(".run/secrets/admin.token");
  EXPECT_EQ(find_token_file("", nullptr, exe, exists), ".run/secrets/admin.token");
}

TEST(Token, ReadsTheFirstLineAndRefusesJunk) {
  char path[] = "/tmp/mailctl-token-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "0123456789abcdef0123456789abcdef\n";
  auto t = read_token(path);
  ASSERT_TRUE(t.token) << t.error;
  EXPECT_EQ(*t.token, "0123456789abcdef0123456789abcdef");
  std::ofstream(path) << "short\n";
  EXPECT_FALSE(read_token(path).token);
  std::remove(path);
  auto missing = read_token(path);
  EXPECT_FALSE(missing.token);
  EXPECT_NE(missing.error.find(path), std::string::npos);
}

TEST(Token, OptionIsParsed) {
  auto r = parse_args({"--token-file", "/k/admin.token", "domain", "list"}, "127.0.0.1:7001");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).token_file, "/k/admin.token");
  auto r2 = parse_args({"domain", "list", "--token-file=/k/t"}, "127.0.0.1:7001");
  ASSERT_TRUE(std::holds_alternative<Command>(r2));
  EXPECT_EQ(std::get<Command>(r2).token_file, "/k/t");
  EXPECT_TRUE(std::holds_alternative<UsageError>(parse_args({"domain", "list", "--token-file"}, "x:1")));
}

}  // namespace
}  // namespace mail::mailctl
