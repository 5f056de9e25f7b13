// SPDX-License-Identifier: Apache-2.0
// Alias expansion for local delivery (see resolve.h for the rules).
// Bounded: nesting depth, number of lookups, and each alias is expanded once
// per call (a diamond of aliases is not a loop, and costs one expansion).
#include "mail/pg/exec.h"
#include "mail/directory/resolve.h"

#include <set>

#include "lookup.h"
#include "mail/common/strings.h"

namespace mail::directory {
namespace {

using detail::Entry;

class Walker {
 public:
  Walker(pqxx::transaction_base& tx, const ResolveOptions& options) : tx_(tx), options_(options) {}

  // Expands one address; `top` is the envelope recipient itself.
  void visit(const std::string& address, int depth) {
    if (loop_) return;
    if (depth > options_.max_depth || ++lookups_ > options_.max_expansions) {
      loop_ = true;
      return;
    }
    Entry e = detail::lookup(tx_, address, options_.subaddress_separators);
    switch (e.kind) {
      case Entry::Kind::not_local:
        if (seen_remote_.insert(address).second) out_.remote.push_back(address);
        return;
      case Entry::Kind::none:
        if (seen_unknown_.insert(address).second) out_.unknown.push_back(address);
        return;
      case Entry::Kind::role: {
        const std::string postmaster = common::normalize_address(options_.postmaster);
        if (postmaster.empty() || postmaster == address) {
          if (seen_unknown_.insert(address).second) out_.unknown.push_back(address);
          return;
        }
        visit(postmaster, depth + 1);  // a postmaster that is itself a role address ends as a loop
        return;
      }
      case Entry::Kind::account:
        if (seen_accounts_.insert(e.account_id).second)
          out_.accounts.push_back(ResolvedAccount{e.account_id, e.address, e.quota_bytes});
        return;
      case Entry::Kind::alias:
        break;
    }
    if (on_path_.count(e.address)) {
      loop_ = true;
      return;
    }
    if (expanded_.count(e.address)) return;
    on_path_.insert(e.address);
    for (const std::string& raw : detail::alias_targets(tx_, e.address)) {
      std::string target = common::normalize_address(raw);
      if (target.empty()) {  // stored before validation tightened: never deliver to it
        if (seen_unknown_.insert(raw).second) out_.unknown.push_back(raw);
        continue;
      }
      visit(target, depth + 1);
      if (loop_) return;
    }
    on_path_.erase(e.address);
    expanded_.insert(e.address);
  }

  Resolution finish() {
    if (loop_) return Resolution{ResolveStatus::loop, {}, {}, {}};
    if (out_.accounts.empty() && out_.remote.empty()) {
      out_.status = ResolveStatus::unknown;
    } else {
      out_.status = ResolveStatus::ok;
    }
    return std::move(out_);
  }

 private:
  pqxx::transaction_base& tx_;
  const ResolveOptions& options_;
  Resolution out_;
  std::set<std::string> on_path_, expanded_, seen_remote_, seen_unknown_;
  std::set<int64_t> seen_accounts_;
  size_t lookups_ = 0;
  bool loop_ = false;
};

}  // namespace

const char* to_string(ResolveStatus status) {
  switch (status) {
    case ResolveStatus::ok: return "ok";
    case ResolveStatus::unknown: return "unknown";
    case ResolveStatus::loop: return "loop";
    case ResolveStatus::not_local: return "not_local";
    case ResolveStatus::invalid: return "invalid";
  }
  return "?";
}

Resolution resolve(pqxx::transaction_base& tx, std::string_view address, const ResolveOptions& options) {
  std::string normalized = common::normalize_address(address);
  if (normalized.empty()) return Resolution{ResolveStatus::invalid, {}, {}, {}};
  // The recipient itself must be ours; only alias targets may point elsewhere.
  pqxx::result d = pg::exec(tx, "SELECT 1 FROM directory.domains WHERE name = $1",
                                  std::string(common::address_domain(normalized)));
  if (d.empty()) return Resolution{ResolveStatus::not_local, {}, {}, {}};
  Walker w(tx, options);
  w.visit(normalized, 0);
  return w.finish();
}

}  // namespace mail::directory
