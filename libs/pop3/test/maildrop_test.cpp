// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of the TRANSACTION-state maildrop model.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mail/pop3/maildrop.h"

using namespace mail::pop3;

namespace {

Maildrop sample() { return Maildrop({{"uid-a", 120}, {"uid-b", 200}, {"uid-c", 35}}); }

TEST(Pop3Maildrop, FreshDrop) {
  Maildrop m = sample();
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.stat(), (Stat{3, 355}));
  EXPECT_EQ(m.list(), (std::vector<ListEntry>{{1, 120}, {2, 200}, {3, 35}}));
  EXPECT_EQ(m.uidl(), (std::vector<UidlEntry>{{1, "uid-a"}, {2, "uid-b"}, {3, "uid-c"}}));
  EXPECT_TRUE(m.deleted().empty());
}

TEST(Pop3Maildrop, SingleLookups) {
  Maildrop m = sample();
  ASSERT_TRUE(m.dele(2).index() == 0);
  struct Case {
    size_t n;
    bool found;
  };
  for (auto c : std::vector<Case>{{0, false}, {1, true}, {2, false}, {3, true}, {4, false}, {SIZE_MAX, false}}) {
    auto l = m.list(c.n);
    auto u = m.uidl(c.n);
    auto g = m.get(c.n);
    EXPECT_EQ(std::holds_alternative<ListEntry>(l), c.found) << c.n;
    EXPECT_EQ(std::holds_alternative<UidlEntry>(u), c.found) << c.n;
    EXPECT_EQ(std::holds_alternative<const MessageInfo*>(g), c.found) << c.n;
    if (!c.found) {
      EXPECT_EQ(std::get<Error>(l), (Error{ErrorKind::kNoSuchMessage, "no such message"}));
      EXPECT_EQ(std::get<Error>(u).kind, ErrorKind::kNoSuchMessage);
      EXPECT_EQ(std::get<Error>(g).kind, ErrorKind::kNoSuchMessage);
    }
  }
  EXPECT_EQ(std::get<ListEntry>(m.list(3)), (ListEntry{3, 35}));
  EXPECT_EQ(std::get<UidlEntry>(m.uidl(1)), (UidlEntry{1, "uid-a"}));
  EXPECT_EQ(std::get<const MessageInfo*>(m.get(3))->uid, "uid-c");
}

// A session script: each step is an operation and the STAT / deleted() after it.
struct Step {
  std::string what;
  std::function<std::variant<std::monostate, Error>(Maildrop&)> op;
  std::optional<ErrorKind> error;
  Stat stat;
  std::vector<size_t> deleted;
};

TEST(Pop3Maildrop, DeleteAndReset) {
  auto dele = [](size_t n) { return [n](Maildrop& m) { return m.dele(n); }; };
  auto rset = [](Maildrop& m) -> std::variant<std::monostate, Error> {
    m.rset();
    return std::monostate{};
  };
  const std::vector<Step> steps = {
      {"DELE 1", dele(1), std::nullopt, {2, 235}, {1}},
      {"DELE 1 again", dele(1), ErrorKind::kAlreadyDeleted, {2, 235}, {1}},
      {"DELE 0", dele(0), ErrorKind::kNoSuchMessage, {2, 235}, {1}},
      {"DELE 4", dele(4), ErrorKind::kNoSuchMessage, {2, 235}, {1}},
      {"DELE 3", dele(3), std::nullopt, {1, 200}, {1, 3}},
      {"RSET", rset, std::nullopt, {3, 355}, {}},
      {"DELE 2", dele(2), std::nullopt, {2, 155}, {2}},
      {"DELE 1", dele(1), std::nullopt, {1, 35}, {1, 2}},
      {"DELE 3", dele(3), std::nullopt, {0, 0}, {1, 2, 3}},
  };
  Maildrop m = sample();
  for (const auto& s : steps) {
    auto r = s.op(m);
    if (s.error) {
      ASSERT_TRUE(std::holds_alternative<Error>(r)) << s.what;
      EXPECT_EQ(std::get<Error>(r).kind, *s.error) << s.what;
    } else {
      EXPECT_TRUE(std::holds_alternative<std::monostate>(r)) << s.what;
    }
    EXPECT_EQ(m.stat(), s.stat) << s.what;
    EXPECT_EQ(m.deleted(), s.deleted) << s.what;
    EXPECT_EQ(m.list().size(), s.stat.count) << s.what;
    EXPECT_EQ(m.uidl().size(), s.stat.count) << s.what;
    for (size_t n = 1; n <= 3; ++n)
      EXPECT_EQ(m.is_deleted(n), std::find(s.deleted.begin(), s.deleted.end(), n) != s.deleted.end());
  }
  EXPECT_EQ(m.deleted_uids(), (std::vector<std::string>{"uid-a", "uid-b", "uid-c"}));
  EXPECT_TRUE(m.list().empty());
  EXPECT_EQ(std::get<Error>(m.dele(2)).text, "message 2 already deleted");
}

TEST(Pop3Maildrop, ListsSkipDeleted) {
  Maildrop m = sample();
  (void)m.dele(2);
  EXPECT_EQ(m.list(), (std::vector<ListEntry>{{1, 120}, {3, 35}}));
  EXPECT_EQ(m.uidl(), (std::vector<UidlEntry>{{1, "uid-a"}, {3, "uid-c"}}));
}

TEST(Pop3Maildrop, EmptyDrop) {
  Maildrop m({});
  EXPECT_EQ(m.stat(), (Stat{0, 0}));
  EXPECT_TRUE(m.list().empty());
  EXPECT_EQ(std::get<Error>(m.dele(1)).kind, ErrorKind::kNoSuchMessage);
  EXPECT_EQ(std::get<Error>(m.list(1)).kind, ErrorKind::kNoSuchMessage);
}

TEST(Pop3Maildrop, UidValidity) {
  EXPECT_TRUE(is_valid_uid("whqtswO00WBw418f9t5JxYwZ"));
  EXPECT_TRUE(is_valid_uid(std::string(70, '~')));
  EXPECT_FALSE(is_valid_uid(""));
  EXPECT_FALSE(is_valid_uid(std::string(71, 'a')));
  EXPECT_FALSE(is_valid_uid("a b"));
  EXPECT_FALSE(is_valid_uid("a\x7f"));
  EXPECT_FALSE(is_valid_uid("\xc3\xa9"));
}

}  // namespace
