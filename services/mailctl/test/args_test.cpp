// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of mailctl's argument parser and size parsing.
#include "args.h"

#include <gtest/gtest.h>

#include <sstream>

namespace mail::mailctl {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::variant<Command, UsageError> parse(const std::string& line) { return parse_args(split(line), "default:7001"); }

TEST(Args, ValidCommands) {
  struct Case {
    std::string line;
    Verb verb;
    std::string name;
    std::vector<std::string> targets;
  };
  const Case cases[] = {
      {"domain add example.test", Verb::domain_add, "example.test", {}},
      {"domain delete example.test", Verb::domain_delete, "example.test", {}},
      {"domain list", Verb::domain_list, "", {}},
      {"account add a@x.test --password-stdin", Verb::account_add, "a@x.test", {}},
      {"account add --password-file /p a@x.test", Verb::account_add, "a@x.test", {}},
      {"account delete a@x.test", Verb::account_delete, "a@x.test", {}},
      {"account show a@x.test", Verb::account_show, "a@x.test", {}},
      {"account list", Verb::account_list, "", {}},
      {"account list x.test", Verb::account_list, "x.test", {}},
      {"account passwd a@x.test --password-stdin", Verb::account_passwd, "a@x.test", {}},
      {"account quota a@x.test 1G", Verb::account_quota, "a@x.test", {}},
      {"alias add s@x.test a@x.test b@remote.example", Verb::alias_add, "s@x.test", {"a@x.test", "b@remote.example"}},
      {"alias delete s@x.test", Verb::alias_delete, "s@x.test", {}},
      {"alias delete s@x.test a@x.test", Verb::alias_delete, "s@x.test", {"a@x.test"}},
      {"alias list", Verb::alias_list, "", {}},
      {"alias list x.test", Verb::alias_list, "x.test", {}},
      {"--help", Verb::help, "", {}},
      {"account add --help", Verb::help, "", {}},
      {"help", Verb::help, "", {}},
  };
  for (const auto& c : cases) {
    auto r = parse(c.line);
    ASSERT_TRUE(std::holds_alternative<Command>(r)) << c.line << ": " << std::get<UsageError>(r).message;
    const Command& cmd = std::get<Command>(r);
    EXPECT_EQ(cmd.verb, c.verb) << c.line;
    EXPECT_EQ(cmd.name, c.name) << c.line;
    EXPECT_EQ(cmd.targets, c.targets) << c.line;
    EXPECT_EQ(cmd.server, "default:7001") << c.line;
  }
}

TEST(Args, OptionsAndValues) {
  auto r = parse_args({"--server", "10.0.0.1:7001", "account", "add", "a@x.test", "--password-file=/run/pw",
                       "--quota", "500M"},
                      "d:1");
  ASSERT_TRUE(std::holds_alternative<Command>(r)) << std::get<UsageError>(r).message;
  const Command& c = std::get<Command>(r);
  EXPECT_EQ(c.server, "10.0.0.1:7001");
  EXPECT_EQ(c.password, PasswordSource::file);
  EXPECT_EQ(c.password_file, "/run/pw");
  EXPECT_EQ(c.quota, 500ULL << 20);

  auto q = parse("account quota a@x.test unlimited");
  EXPECT_EQ(std::get<Command>(q).quota, 0u);
  auto s = parse("--server=h:1 domain list");
  EXPECT_EQ(std::get<Command>(s).server, "h:1");
  // "--" ends options: an address that starts with '-' is still an argument.
  auto dash = parse_args({"account", "show", "--", "-odd@x.test"}, "d:1");
  ASSERT_TRUE(std::holds_alternative<Command>(dash));
  EXPECT_EQ(std::get<Command>(dash).name, "-odd@x.test");
}

TEST(Args, UsageErrors) {
  struct Case {
    std::string line;
    std::string fragment;  // expected in the message
  };
  const Case cases[] = {
      {"", "no command"},
      {"frobnicate", "unknown command 'frobnicate'"},
      {"domain", "needs a subcommand"},
      {"domain rename a b", "unknown command 'domain rename'"},
      {"domain add", "missing arguments"},
      {"domain add a b", "unexpected argument 'b'"},
      {"domain list extra", "unexpected argument 'extra'"},
      {"account add a@x.test", "needs --password-file FILE or --password-stdin"},
      {"account add a@x.test --password secret", "never taken on the command line"},
      {"account add a@x.test -p secret", "never taken on the command line"},
      {"account add a@x.test --password=secret", "never taken on the command line"},
      {"account add a@x.test --password-stdin --password-file f", "not both"},
      {"account add a@x.test --password-stdin --quota", "--quota needs a value"},
      {"account add a@x.test --password-stdin --quota lots", "invalid size 'lots'"},
      {"account add a@x.test --password-stdin --quota -5", "invalid size '-5'"},
      {"account add a@x.test --password-stdin --quota 1 --quota 2", "given twice"},
      {"account show a@x.test --password-stdin", "takes no password"},
      {"account show a@x.test --quota 1G", "--quota applies to 'account add' only"},
      {"account passwd a@x.test", "needs --password-file"},
      {"account quota a@x.test", "missing arguments"},
      {"account quota a@x.test 1.5G", "invalid size '1.5G'"},
      {"account quota a@x.test 99999999999G", "invalid size"},
      {"account quota a@x.test 8589934592G", "invalid size"},
      {"account list a b", "unexpected argument 'b'"},
      {"alias add s@x.test", "missing arguments"},
      {"alias delete", "missing arguments"},
      {"alias delete s@x.test a b", "unexpected argument 'b'"},
      {"domain list --verbose", "unknown option --verbose"},
      {"domain list --server", "--server needs a value"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.line);
    ASSERT_TRUE(std::holds_alternative<UsageError>(r)) << c.line;
    EXPECT_NE(std::get<UsageError>(r).message.find(c.fragment), std::string::npos)
        << c.line << " -> " << std::get<UsageError>(r).message;
  }
  EXPECT_TRUE(std::holds_alternative<UsageError>(parse_args({"domain", "list", "--server="}, "d:1")));
  EXPECT_TRUE(std::holds_alternative<UsageError>(parse_args({"domain", "list"}, "")));
}

TEST(Args, Throttle) {
  auto r = parse("throttle clear --address 192.0.2.7");
  ASSERT_TRUE(std::holds_alternative<Command>(r)) << std::get<UsageError>(r).message;
  EXPECT_EQ(std::get<Command>(r).verb, Verb::throttle_clear);
  EXPECT_EQ(std::get<Command>(r).address, "192.0.2.7");
  EXPECT_EQ(std::get<Command>(r).account, "");
  r = parse("throttle clear --account=a@x.test");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).account, "a@x.test");
  r = parse("throttle show --address ::1 --account a@x.test");
  ASSERT_TRUE(std::holds_alternative<Command>(r));
  EXPECT_EQ(std::get<Command>(r).verb, Verb::throttle_show);
  EXPECT_EQ(std::get<Command>(r).address, "::1");
  EXPECT_EQ(std::get<Command>(r).account, "a@x.test");
  for (const char* bad : {"throttle clear", "throttle clear --address 1.2.3.4 --account a@x.test", "throttle show",
                          "throttle show 1.2.3.4", "domain list --address 1.2.3.4", "throttle clear --address",
                          "throttle lift --address 1.2.3.4"})
    EXPECT_TRUE(std::holds_alternative<UsageError>(parse(bad))) << bad;
}

TEST(Args, Quota) {
  EXPECT_EQ(parse_quota("0"), 0u);
  EXPECT_EQ(parse_quota("unlimited"), 0u);
  EXPECT_EQ(parse_quota("1024"), 1024u);
  EXPECT_EQ(parse_quota("1K"), 1024u);
  EXPECT_EQ(parse_quota("500M"), 500ULL << 20);
  EXPECT_EQ(parse_quota("1g"), 1ULL << 30);
  EXPECT_EQ(parse_quota("2GB"), 2ULL << 30);
  EXPECT_EQ(parse_quota("1T"), 1ULL << 40);
  EXPECT_EQ(parse_quota("8388607T"), 8388607ULL << 40);
  EXPECT_EQ(parse_quota("8388608T"), std::nullopt);  // 2^63
  EXPECT_EQ(parse_quota("9223372036854775807"), 9223372036854775807ULL);
  EXPECT_EQ(parse_quota("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_quota("18446744073709551616"), std::nullopt);
  for (const char* bad : {"", "G", "-1", "+1", "1X", "1 G x", "1.5M", "0x10", " ", "1GG"})
    EXPECT_EQ(parse_quota(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace mail::mailctl
