// SPDX-License-Identifier: Apache-2.0
// PgDirectory and resolve() against a real PostgreSQL (MAIL_TEST_PG: superuser
// conninfo of a database with migrations/*.sql applied). The directory runs as
// role mail_admin and resolve() as mail_mda, so the grants are tested too.
// Every test uses its own random domains and removes them afterwards.
#include <gtest/gtest.h>

#include <cstdlib>

#include "mail/common/strings.h"
#include "mail/directory/pg_directory.h"
#include "mail/directory/resolve.h"

namespace mail::directory {
namespace {

using common::random_hex;

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* pg = std::getenv("MAIL_TEST_PG");
    if (!pg || !*pg)
      FAIL() << "MAIL_TEST_PG is not set: it must be a superuser conninfo of a PostgreSQL database with "
                "migrations/*.sql applied (scripts/test sets it)";
    conninfo_ = pg;
    super_ = std::make_unique<pg::Pool>(conninfo_, 2);
    admin_pool_ = std::make_unique<pg::Pool>(conninfo_ + " options='-c role=mail_admin'", 4);
    DirectoryOptions opts;
    opts.argon2 = Argon2Params{1, 64, 1};  // fast for tests
    dir_ = std::make_unique<PgDirectory>(*admin_pool_, opts);
    domain_ = new_domain_name();
    ASSERT_TRUE(dir_->add_domain(domain_).ok());
  }

  void TearDown() override {
    if (!super_) return;
    for (const auto& d : domains_) sql("DELETE FROM directory.domains WHERE name = '" + d + "'");
  }

  std::string new_domain_name() {
    domains_.push_back("t" + random_hex(6) + ".test");
    return domains_.back();
  }

  std::string at(const std::string& local) { return local + "@" + domain_; }

  void sql(const std::string& q) {
    super_->with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      tx.exec(q);
      tx.commit();
      return 0;
    });
  }

  int64_t add_account(const std::string& address, uint64_t quota = 0) {
    auto r = dir_->add_account(address, "secret-" + address, quota);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }

  void add_alias(const std::string& address, std::vector<std::string> targets) {
    auto r = dir_->add_alias(address, targets);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // resolve() as the mda would: its own role, its own transaction.
  Resolution resolve_as_mda(const std::string& address, const ResolveOptions& options = {}) {
    pqxx::connection c(conninfo_ + " options='-c role=mail_mda'");
    pqxx::read_transaction tx(c);
    return resolve(tx, address, options);
  }

  static std::vector<std::string> addresses(const Resolution& r) {
    std::vector<std::string> out;
    for (const auto& a : r.accounts) out.push_back(a.address);
    return out;
  }

  std::string conninfo_;
  std::unique_ptr<pg::Pool> super_, admin_pool_;
  std::unique_ptr<PgDirectory> dir_;
  std::string domain_;
  std::vector<std::string> domains_;
};

TEST_F(DirectoryTest, DomainAddListDelete) {
  std::string d = new_domain_name();
  auto added = dir_->add_domain(common::ascii_upper(d) + ".");
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->name, d);

  auto dup = dir_->add_domain(d);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::already_exists);
  EXPECT_EQ(dup.error().message, "domain " + d + " already exists");

  auto list = dir_->list_domains();
  ASSERT_TRUE(list.ok());
  bool found = false;
  for (const auto& x : *list) found |= (x.name == d && x.accounts == 0);
  EXPECT_TRUE(found);

  EXPECT_TRUE(dir_->delete_domain(d, false).ok());
  auto again = dir_->delete_domain(d, false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::not_found);

  for (const char* bad : {"", "bad_name.test", "[192.0.2.1]", "-x.test"}) {
    auto r = dir_->add_domain(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << bad;
  }
}

TEST_F(DirectoryTest, DomainDeleteRefusedWhileAccountsExist) {
  add_account(at("a"));
  auto r = dir_->delete_domain(domain_, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
  EXPECT_EQ(r.error().message, "domain " + domain_ + " still has 1 account");
  auto list = dir_->list_domains();
  ASSERT_TRUE(list.ok());
  for (const auto& x : *list) {
    if (x.name == domain_) {
      EXPECT_EQ(x.accounts, 1u);
    }
  }
  add_alias(at("team"), {at("a"), "x@elsewhere.example"});
  add_alias(at("sales"), {at("a")});
  EXPECT_EQ(dir_->delete_domain(domain_, false).error().message,
            "domain " + domain_ + " still has 1 account and 2 aliases");
  ASSERT_TRUE(dir_->delete_account(at("a")).ok());
  // (the account's removal took "sales", whose only target it was)
  EXPECT_EQ(dir_->delete_domain(domain_, false).error().message, "domain " + domain_ + " still has 1 alias")
      << "aliases are not removed without a word";
  EXPECT_TRUE(dir_->delete_domain(domain_, true).ok());
  EXPECT_EQ(dir_->get_account(at("a")).error().code, ErrorCode::not_found);
}

TEST_F(DirectoryTest, AccountCreateAndAuthenticate) {
  std::string mixed = "Demo@" + common::ascii_upper(domain_);
  auto r = dir_->add_account(mixed, "pw-1", 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->address, at("demo"));

  auto dup = dir_->add_account(at("demo"), "x", 0);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::already_exists);
  EXPECT_EQ(dup.error().message, "account " + at("demo") + " already exists");

  auto good = dir_->authenticate(mixed, "pw-1");
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(good->has_value());
  EXPECT_EQ((*good)->account_id, r->id);
  EXPECT_EQ((*good)->address, at("demo"));

  auto bad = dir_->authenticate(at("demo"), "pw-2");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->has_value());
  auto unknown = dir_->authenticate(at("nobody"), "pw-1");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  auto garbage = dir_->authenticate("not an address", "pw-1");
  ASSERT_TRUE(garbage.ok());
  EXPECT_FALSE(garbage->has_value());
  auto empty = dir_->authenticate(at("demo"), "");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());

  // Disabled accounts do not log in, until enabled again.
  auto off = dir_->set_disabled(mixed, true);
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_TRUE(off->disabled);
  EXPECT_EQ(off->id, r->id);
  auto disabled = dir_->authenticate(at("demo"), "pw-1");
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled->has_value());
  ASSERT_FALSE(dir_->set_disabled(at("demo"), false)->disabled);
  ASSERT_TRUE(dir_->authenticate(at("demo"), "pw-1")->has_value());
  EXPECT_EQ(dir_->set_disabled(at("nobody"), true).error().code, ErrorCode::not_found);
  EXPECT_EQ(dir_->set_disabled("not an address", true).error().code, ErrorCode::invalid_argument);
  ASSERT_TRUE(dir_->set_disabled(at("demo"), true).ok());

  // Passwords are bytes: any octets, UTF-8 or not.
  const std::string latin1("gr\xfc\xdf\xff", 5);
  ASSERT_TRUE(dir_->add_account(at("bytes"), latin1, 0).ok());
  EXPECT_TRUE(dir_->authenticate(at("bytes"), latin1)->has_value());
  EXPECT_FALSE(dir_->authenticate(at("bytes"), "gr\xc3\xbc\xc3\x9f\xc3\xbf")->has_value()) << "its UTF-8 twin is another password";

  auto get = dir_->get_account(mixed);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->address, at("demo"));
  EXPECT_TRUE(get->disabled);

  auto nodomain = dir_->add_account("x@" + new_domain_name(), "pw", 0);
  ASSERT_FALSE(nodomain.ok());
  EXPECT_EQ(nodomain.error().code, ErrorCode::not_found);

  for (auto [addr, pw] : std::vector<std::pair<std::string, std::string>>{
           {at("ok"), ""}, {at("ok"), std::string(kMaxPasswordBytes + 1, 'x')}, {"bad..dots@" + domain_, "pw"},
           {"\"q..q\"@" + domain_, "pw"}, {"", "pw"}}) {
    auto e = dir_->add_account(addr, pw, 0);
    ASSERT_FALSE(e.ok()) << addr;
    EXPECT_EQ(e.error().code, ErrorCode::invalid_argument) << addr;
  }
}

TEST_F(DirectoryTest, SetPasswordAndDelete) {
  add_account(at("p"));
  ASSERT_TRUE(dir_->set_password(at("P"), "new pass").ok());
  EXPECT_FALSE(dir_->authenticate(at("p"), "secret-" + at("p"))->has_value());
  EXPECT_TRUE(dir_->authenticate(at("p"), "new pass")->has_value());
  EXPECT_EQ(dir_->set_password(at("nobody"), "x").error().code, ErrorCode::not_found);
  EXPECT_EQ(dir_->set_password(at("p"), "").error().code, ErrorCode::invalid_argument);

  ASSERT_TRUE(dir_->delete_account(at("p")).ok());
  EXPECT_FALSE(dir_->authenticate(at("p"), "new pass")->has_value());
  EXPECT_EQ(dir_->delete_account(at("p")).error().code, ErrorCode::not_found);
}

TEST_F(DirectoryTest, RehashOnLoginWhenParametersChange) {
  DirectoryOptions other;
  other.argon2 = Argon2Params{2, 64, 1};
  PgDirectory dir2(*admin_pool_, other);
  add_account(at("r"));  // hashed with t=1
  auto ok = dir2.authenticate(at("r"), "secret-" + at("r"));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->has_value());
  auto hash = super_->with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return tx.exec_params1("SELECT password_hash FROM directory.accounts WHERE address = $1", at("r"))[0]
        .as<std::string>();
  });
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=64,t=2,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(dir_->authenticate(at("r"), "secret-" + at("r"))->has_value());
}

TEST_F(DirectoryTest, QuotaAndUsage) {
  int64_t id = add_account(at("q"), 1000);
  auto info = dir_->get_account(at("q"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->quota_bytes, 1000u);
  EXPECT_EQ(info->used_bytes, 0u);  // no quota_usage row yet
  EXPECT_EQ(info->messages, 0u);

  sql("INSERT INTO store.quota_usage(account_id, bytes, messages) VALUES (" + std::to_string(id) + ", 900, 3)");
  info = dir_->get_account(at("q"));
  EXPECT_EQ(info->used_bytes, 900u);
  EXPECT_EQ(info->messages, 3u);
  auto list = dir_->list_accounts(domain_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].used_bytes, 900u);

  auto check = [&](uint64_t size) { return dir_->check_recipient(at("q"), size)->status; };
  EXPECT_EQ(check(50), RecipientStatus::local_ok);
  EXPECT_EQ(check(100), RecipientStatus::local_ok);
  EXPECT_EQ(check(101), RecipientStatus::local_over_quota);
  EXPECT_EQ(check(0), RecipientStatus::local_ok);
  EXPECT_EQ(check(1000), RecipientStatus::local_over_quota) << "fits the quota, not what is left of it";
  EXPECT_EQ(check(1001), RecipientStatus::local_too_large) << "larger than the whole quota: never fits";
  EXPECT_EQ(check(UINT64_MAX), RecipientStatus::local_too_large);

  auto unl = dir_->set_quota(at("q"), 0);
  ASSERT_TRUE(unl.ok());
  EXPECT_EQ(unl->quota_bytes, 0u);
  EXPECT_EQ(unl->used_bytes, 900u);
  EXPECT_EQ(check(UINT64_MAX), RecipientStatus::local_ok);

  ASSERT_TRUE(dir_->set_quota(at("q"), 900).ok());
  EXPECT_EQ(check(0), RecipientStatus::local_over_quota);  // full is full, size unknown
  EXPECT_EQ(dir_->set_quota(at("nobody"), 1).error().code, ErrorCode::not_found);
  EXPECT_EQ(dir_->set_quota(at("q"), UINT64_MAX).error().code, ErrorCode::invalid_argument);

  EXPECT_EQ(dir_->list_accounts(new_domain_name()).error().code, ErrorCode::not_found);
}

TEST_F(DirectoryTest, AliasesSendersAndResolution) {
  int64_t a = add_account(at("a"));
  add_account(at("b"));
  add_alias(at("Sales"), {at("A"), at("b"), "Remote@Elsewhere.example"});

  auto senders = dir_->sender_addresses(a);
  ASSERT_TRUE(senders.ok());
  EXPECT_EQ(*senders, (std::vector<std::string>{at("a"), at("sales")}));
  EXPECT_EQ(dir_->sender_addresses(-1).error().code, ErrorCode::not_found);

  auto chk = dir_->check_recipient(at("SALES"), 10);
  ASSERT_TRUE(chk.ok());
  EXPECT_EQ(chk->status, RecipientStatus::local_ok);
  EXPECT_EQ(chk->normalized, at("sales"));

  Resolution r = resolve_as_mda(at("sales"));
  EXPECT_EQ(r.status, ResolveStatus::ok);
  EXPECT_EQ(addresses(r), (std::vector<std::string>{at("a"), at("b")}));
  EXPECT_EQ(r.remote, (std::vector<std::string>{"remote@elsewhere.example"}));

  // Nested aliases, de-duplicated accounts; an unknown local target is reported.
  add_alias(at("team"), {at("sales"), at("a"), at("ghost")});
  r = resolve_as_mda(at("team"));
  EXPECT_EQ(r.status, ResolveStatus::ok);
  EXPECT_EQ(addresses(r).size(), 2u);
  EXPECT_EQ(r.unknown, (std::vector<std::string>{at("ghost")}));

  auto dup = dir_->add_alias(at("sales"), {at("a")});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::already_exists);
  auto more = dir_->add_alias(at("sales"), {at("a"), "c@elsewhere.example"});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->targets.size(), 4u);

  EXPECT_EQ(dir_->add_alias(at("a"), {at("b")}).error().code, ErrorCode::already_exists);  // is an account
  EXPECT_EQ(dir_->add_account(at("sales"), "pw", 0).error().code, ErrorCode::already_exists);  // is an alias
  EXPECT_EQ(dir_->add_alias(at("x"), {at("x")}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(dir_->add_alias(at("x"), {}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(dir_->add_alias(at("x"), {"not an address"}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(dir_->add_alias("x@" + new_domain_name(), {at("a")}).error().code, ErrorCode::not_found);

  auto list = dir_->list_aliases(domain_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].address, at("sales"));
  EXPECT_EQ((*list)[1].address, at("team"));

  ASSERT_TRUE(dir_->delete_alias(at("sales"), "c@elsewhere.example").ok());
  EXPECT_EQ(dir_->delete_alias(at("sales"), "c@elsewhere.example").error().code, ErrorCode::not_found);
  // Deleting an account removes it from alias targets.
  ASSERT_TRUE(dir_->delete_account(at("b")).ok());
  r = resolve_as_mda(at("sales"));
  EXPECT_EQ(addresses(r), (std::vector<std::string>{at("a")}));
  ASSERT_TRUE(dir_->delete_alias(at("sales"), "").ok());
  EXPECT_EQ(dir_->delete_alias(at("sales"), "").error().code, ErrorCode::not_found);
  EXPECT_EQ(dir_->check_recipient(at("sales"), 0)->status, RecipientStatus::local_unknown);
}

TEST_F(DirectoryTest, AliasLoopsAndDepth) {
  add_account(at("a"));
  add_alias(at("x"), {at("y"), at("a")});
  add_alias(at("y"), {at("x")});
  EXPECT_EQ(dir_->check_recipient(at("x"), 0)->status, RecipientStatus::local_ok);
  Resolution r = resolve_as_mda(at("x"));
  EXPECT_EQ(r.status, ResolveStatus::loop);
  EXPECT_TRUE(r.accounts.empty());
  // The cycle itself is detected, not only the depth limit.
  EXPECT_EQ(resolve_as_mda(at("x"), ResolveOptions{"+", 1000, 100000}).status, ResolveStatus::loop);

  // A diamond is not a loop.
  add_alias(at("d1"), {at("d2"), at("d3")});
  add_alias(at("d2"), {at("a")});
  add_alias(at("d3"), {at("d2")});
  r = resolve_as_mda(at("d1"));
  EXPECT_EQ(r.status, ResolveStatus::ok);
  EXPECT_EQ(addresses(r), (std::vector<std::string>{at("a")}));

  // A chain of 10 aliases resolves; 11 is too deep.
  for (int i = 0; i < 11; ++i) add_alias(at("c" + std::to_string(i)), {at(i == 10 ? "a" : "c" + std::to_string(i + 1))});
  EXPECT_EQ(resolve_as_mda(at("c1")).status, ResolveStatus::ok);
  EXPECT_EQ(resolve_as_mda(at("c0")).status, ResolveStatus::loop);
}

TEST_F(DirectoryTest, RoleAddressesGoToTheirAliasElseThePlatformsPostmaster) {
  add_account(at("first"));
  add_account(at("second"));
  // No platform postmaster (this fixture's directory has none): postmaster@
  // and abuse@ without an alias of their own are unknown, refused at RCPT,
  // not accepted and bounced later, nor sent to some account of the domain.
  for (const char* role : {"postmaster", "abuse", "Postmaster"}) {
    auto c = dir_->check_recipient(std::string(role) + "@" + domain_, 0);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->status, RecipientStatus::local_unknown) << role;
  }
  EXPECT_EQ(resolve_as_mda(at("postmaster")).status, ResolveStatus::unknown);
  // The domain's own alias decides.
  add_alias(at("abuse"), {at("second")});
  EXPECT_EQ(dir_->check_recipient(at("abuse"), 0)->status, RecipientStatus::local_ok);
  EXPECT_EQ(addresses(resolve_as_mda(at("abuse"))), (std::vector<std::string>{at("second")}));
  // The platform's postmaster takes the rest, resolved like any address.
  ResolveOptions o;
  o.postmaster = "Second+Reports@" + domain_;
  Resolution r = resolve_as_mda(at("postmaster"), o);
  EXPECT_EQ(r.status, ResolveStatus::ok);
  EXPECT_EQ(addresses(r), (std::vector<std::string>{at("second")}));
  EXPECT_EQ(addresses(resolve_as_mda(at("postmaster+spam"), o)), (std::vector<std::string>{at("second")}));
  o.postmaster = "postmaster@" + domain_;  // itself: nowhere to go
  EXPECT_EQ(resolve_as_mda(at("postmaster"), o).status, ResolveStatus::unknown);
  o.postmaster = "abuse@" + domain_;  // via the domain's abuse alias
  EXPECT_EQ(addresses(resolve_as_mda(at("postmaster"), o)), (std::vector<std::string>{at("second")}));
  DirectoryOptions with;
  with.postmaster = at("first");
  PgDirectory pm(*admin_pool_, with);
  EXPECT_EQ(pm.check_recipient(at("postmaster"), 0)->status, RecipientStatus::local_ok);
  EXPECT_EQ(pm.check_recipient(at("webmaster"), 0)->status, RecipientStatus::local_unknown);
}

TEST_F(DirectoryTest, Subaddresses) {
  add_account(at("user"));
  add_account(at("user+exact"));
  add_alias(at("list"), {at("user")});
  EXPECT_EQ(dir_->check_recipient(at("user+tag"), 0)->status, RecipientStatus::local_ok);
  EXPECT_EQ(dir_->check_recipient(at("list+tag"), 0)->status, RecipientStatus::local_ok);
  EXPECT_EQ(dir_->check_recipient(at("nobody+tag"), 0)->status, RecipientStatus::local_unknown);
  EXPECT_EQ(dir_->check_recipient(at("user+tag"), 0)->normalized, at("user+tag"));
  EXPECT_EQ(addresses(resolve_as_mda(at("user+tag"))), (std::vector<std::string>{at("user")}));
  EXPECT_EQ(addresses(resolve_as_mda(at("user+exact"))), (std::vector<std::string>{at("user+exact")}));
  EXPECT_EQ(addresses(resolve_as_mda(at("list+x"))), (std::vector<std::string>{at("user")}));
  EXPECT_EQ(resolve_as_mda(at("nobody+tag")).status, ResolveStatus::unknown);

  DirectoryOptions off;
  off.argon2 = Argon2Params{1, 64, 1};
  off.subaddress_separators = "";
  PgDirectory plain(*admin_pool_, off);
  EXPECT_EQ(plain.check_recipient(at("user+tag"), 0)->status, RecipientStatus::local_unknown);
}

TEST_F(DirectoryTest, NotLocalAndInvalid) {
  EXPECT_EQ(dir_->check_recipient("someone@" + new_domain_name(), 0)->status, RecipientStatus::not_local);
  EXPECT_EQ(resolve_as_mda("someone@elsewhere.example").status, ResolveStatus::not_local);
  EXPECT_EQ(resolve_as_mda("garbage").status, ResolveStatus::invalid);
  EXPECT_EQ(dir_->check_recipient("garbage", 0).error().code, ErrorCode::invalid_argument);
}

TEST_F(DirectoryTest, DatabaseDownIsUnavailable) {
  pg::Pool dead("host=127.0.0.1 port=1 connect_timeout=2", 1, std::chrono::milliseconds(500));
  PgDirectory d(dead, DirectoryOptions{Argon2Params{1, 64, 1}, "+", 10});
  EXPECT_FALSE(d.ready());
  EXPECT_EQ(d.list_domains().error().code, ErrorCode::unavailable);
  EXPECT_EQ(d.authenticate(at("a"), "pw").error().code, ErrorCode::unavailable);
  EXPECT_EQ(d.check_recipient(at("a"), 0).error().code, ErrorCode::unavailable);
  EXPECT_TRUE(dir_->ready());
}

}  // namespace
}  // namespace mail::directory
