// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of mailctl queue's command line: each command's
// options, their values, and the usage errors (exit 2) for the rest.
#include "queue_args.h"

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

std::variant<Command, UsageError> parse(const std::string& line) {
  return parse_args(split(line), "admin:7001", "mta:7002");
}

Command ok(const std::string& line) {
  auto r = parse(line);
  EXPECT_TRUE(std::holds_alternative<Command>(r)) << line << ": " << std::get<UsageError>(r).message;
  return std::holds_alternative<Command>(r) ? std::get<Command>(r) : Command{};
}

TEST(QueueArgs, List) {
  Command c = ok("queue list");
  EXPECT_EQ(c.verb, Verb::queue_list);
  EXPECT_TRUE(is_queue_verb(c.verb));
  EXPECT_EQ(c.queue_server, "mta:7002");
  EXPECT_FALSE(c.queue.sender);
  EXPECT_EQ(c.queue.state, "");
  EXPECT_EQ(c.queue.limit, 0u);
  c = ok("queue list --sender a@x.test --recipient b@y.test --domain Y.Test --state Deferred --older-than 2h"
         " --limit 50 --queue-server 10.0.0.2:7002");
  EXPECT_EQ(c.queue.sender, "a@x.test");
  EXPECT_EQ(c.queue.recipient, "b@y.test");
  EXPECT_EQ(c.queue.domain, "y.test");
  EXPECT_EQ(c.queue.state, "deferred");
  EXPECT_EQ(c.queue.older_than_s, 7200);
  EXPECT_EQ(c.queue.limit, 50u);
  EXPECT_EQ(c.queue_server, "10.0.0.2:7002");
  c = ok("queue list --sender <> --state all");
  ASSERT_TRUE(c.queue.sender);
  EXPECT_EQ(*c.queue.sender, "") << "the null sender";
  EXPECT_EQ(c.queue.state, "");
  for (const char* s : {"queued", "deferred", "held", "active"}) EXPECT_EQ(ok(std::string("queue list --state ") + s).queue.state, s);
}

TEST(QueueArgs, ShowAndActions) {
  Command c = ok("queue show 4f2a0c1b9d3e");
  EXPECT_EQ(c.verb, Verb::queue_show);
  EXPECT_EQ(c.name, "4F2A0C1B9D3E") << "queue ids are upper case";
  c = ok("queue retry 4F2A0C1B9D3E");
  EXPECT_EQ(c.verb, Verb::queue_retry);
  EXPECT_EQ(c.name, "4F2A0C1B9D3E");
  c = ok("queue retry --domain deferred.test");
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.queue.domain, "deferred.test");
  c = ok("queue hold ABC --domain far.test");
  EXPECT_EQ(c.verb, Verb::queue_hold);
  EXPECT_EQ(c.name, "ABC");
  EXPECT_EQ(c.queue.domain, "far.test");
  EXPECT_EQ(ok("queue release --domain far.test").verb, Verb::queue_release);
  c = ok("queue delete ABC");
  EXPECT_EQ(c.verb, Verb::queue_delete);
  EXPECT_FALSE(c.queue.bounce);
  c = ok("queue delete --bounce --domain far.test");
  EXPECT_TRUE(c.queue.bounce);
  EXPECT_EQ(ok("account show a@x.test --queue-server q:1").queue_server, "q:1") << "account show asks the queue too";
}

TEST(QueueArgs, UsageErrors) {
  struct Case {
    std::string line;
    std::string fragment;
  };
  const Case cases[] = {
      {"queue", "needs a subcommand"},
      {"queue flush", "unknown command 'queue flush'"},
      {"queue show", "missing arguments"},
      {"queue show A B", "unexpected argument 'B'"},
      {"queue show A --domain x.test", "takes a queue id only"},
      {"queue show A-B", "is not a queue id"},
      {"queue retry", "give a QUEUE_ID or --domain DOMAIN"},
      {"queue hold", "give a QUEUE_ID or --domain DOMAIN"},
      {"queue release", "give a QUEUE_ID or --domain DOMAIN"},
      {"queue delete", "give a QUEUE_ID or --domain DOMAIN"},
      {"queue delete A B", "unexpected argument 'B'"},
      {"queue retry A --bounce", "--bounce applies to 'queue delete' only"},
      {"queue list --bounce", "--bounce applies to 'queue delete' only"},
      {"queue retry A --sender a@x.test", "filters of 'queue list'"},
      {"queue delete --domain x.test --limit 5", "filters of 'queue list'"},
      {"queue list --state stuck", "--state is one of"},
      {"queue list --older-than soon", "invalid duration 'soon'"},
      {"queue list --older-than 2w", "invalid duration"},
      {"queue list --older-than -5m", "invalid duration"},
      {"queue list --older-than 99999999999d", "invalid duration"},
      {"queue list --limit 0", "--limit is a number from 1 to 10000"},
      {"queue list --limit 10001", "--limit is a number"},
      {"queue list --limit 5m", "--limit is a number"},
      {"queue list --sender nobody", "is not a mail address"},
      {"queue list --recipient x", "is not a mail address"},
      {"queue list --domain bad_domain!", "is not a domain"},
      {"queue list --sender a@x.test --sender b@x.test", "given twice"},
      {"queue list --queue-server", "--queue-server needs a value"},
      {"domain list --state held", "apply to 'queue' only"},
      {"account show a@x.test --domain x.test", "apply to 'queue' only"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.line);
    ASSERT_TRUE(std::holds_alternative<UsageError>(r)) << c.line;
    EXPECT_NE(std::get<UsageError>(r).message.find(c.fragment), std::string::npos)
        << c.line << " -> " << std::get<UsageError>(r).message;
  }
}

TEST(QueueArgs, Durations) {
  EXPECT_EQ(parse_age("90"), 90);
  EXPECT_EQ(parse_age("90s"), 90);
  EXPECT_EQ(parse_age("30m"), 1800);
  EXPECT_EQ(parse_age("2h"), 7200);
  EXPECT_EQ(parse_age("7d"), 7 * 86400);
  EXPECT_EQ(parse_age("3660d"), 3660LL * 86400);
  for (const char* bad : {"", "m", "1.5h", "1 h", "1H", "-1", "+1", "1hh", "3661d", "9999999999999"})
    EXPECT_EQ(parse_age(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace mail::mailctl
