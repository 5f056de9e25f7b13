// SPDX-License-Identifier: Apache-2.0
// mailctl commands: one Admin RPC each, with a deadline; gRPC status -> exit code.
#include "commands.h"

#include <grpcpp/grpcpp.h>

#include <functional>

#include "format.h"
#include "queue_commands.h"

namespace mail::mailctl {

const char* status_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::CANCELLED: return "cancelled";
    case grpc::StatusCode::INVALID_ARGUMENT: return "invalid argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "deadline exceeded";
    case grpc::StatusCode::NOT_FOUND: return "not found";
    case grpc::StatusCode::ALREADY_EXISTS: return "already exists";
    case grpc::StatusCode::PERMISSION_DENIED: return "permission denied";
    case grpc::StatusCode::FAILED_PRECONDITION: return "failed precondition";
    case grpc::StatusCode::UNIMPLEMENTED: return "not implemented by the server";
    case grpc::StatusCode::UNAVAILABLE: return "unavailable";
    case grpc::StatusCode::UNAUTHENTICATED: return "unauthenticated";
    default: return "server error";
  }
}

namespace {

namespace pb = mail::admin::v1;

std::string clean(std::string s) {
  if (s.size() > 500) s = s.substr(0, 500) + "...";
  for (char& c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return s;
}

class Runner {
 public:
  Runner(const Command& cmd, pb::Admin::StubInterface& stub, std::ostream& out, std::ostream& err)
      : cmd_(cmd), stub_(stub), out_(out), err_(err) {}

  // Calls one RPC with a fresh context and the deadline; prints the error if any.
  template <class Req, class Rep>
  bool call(grpc::Status (pb::Admin::StubInterface::*rpc)(grpc::ClientContext*, const Req&, Rep*), const Req& req,
            Rep* rep) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
    grpc::Status s = (stub_.*rpc)(&ctx, req, rep);
    if (s.ok()) return true;
    std::string msg = clean(s.error_message().empty() ? status_name(s.error_code()) : s.error_message());
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      err_ << "mailctl: admin server " << clean(cmd_.server) << " unavailable: " << msg << "\n";
      code_ = kExitUnreachable;
    } else if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
               s.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      err_ << "mailctl: admin server " << clean(cmd_.server) << " refused our token (" << status_name(s.error_code())
           << "): " << msg << "\n";
      code_ = kExitRefused;
    } else {
      err_ << "mailctl: " << msg << "\n";
      code_ = kExitRefused;
    }
    return false;
  }

  int code() const { return code_; }
  std::ostream& out() { return out_; }

 private:
  const Command& cmd_;
  pb::Admin::StubInterface& stub_;
  std::ostream& out_;
  std::ostream& err_;
  int code_ = kExitOk;
};

void print_account(std::ostream& out, const pb::Account& a) {
  out << "address:   " << clean(a.address()) << "\n"
      << "id:        " << a.id() << "\n"
      << "quota:     " << format_quota(a.quota_bytes());
  if (a.quota_bytes() != 0) out << " (" << a.quota_bytes() << " bytes)";
  out << "\n"
      << "used:      " << format_size(a.used_bytes()) << " (" << a.used_bytes() << " bytes)";
  if (a.quota_bytes() != 0)
    out << ", " << static_cast<uint64_t>(static_cast<long double>(a.used_bytes()) * 100 / a.quota_bytes()) << "%";
  out << "\n"
      << "messages:  " << a.messages() << "\n"
      << "login:     " << (a.disabled() ? "disabled" : "enabled") << "\n";
  if (a.send_as_size() > 0) {
    out << "send as:  ";
    for (const auto& s : a.send_as()) out << " " << clean(s);
    out << "\n";
  }
}

// "blocked for 14m 5s" / "not blocked".
std::string blocked(int64_t ms) {
  if (ms <= 0) return "not blocked";
  int64_t s = (ms + 999) / 1000;
  std::string t = s >= 60 ? std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s" : std::to_string(s) + "s";
  return "blocked for " + t;
}

void print_throttle(std::ostream& out, const Command& cmd, const pb::LoginThrottleState& s) {
  if (!cmd.address.empty())
    out << "address:   " << clean(cmd.address) << ": " << s.address_failures() << " failures, "
        << blocked(s.address_blocked_ms()) << "\n";
  if (!cmd.account.empty()) out << "account:   " << clean(cmd.account) << ": " << s.account_failures() << " failures\n";
  if (!cmd.address.empty() && !cmd.account.empty())
    out << "pair:      " << s.pair_failures() << " failures, " << blocked(s.pair_blocked_ms())
        << (s.known() ? ", known (logged in lately)" : "") << "\n";
  if (!s.shared()) out << "note:      Redis unreachable: these are the admin process's own counts\n";
}

}  // namespace

int execute(const Command& cmd, pb::Admin::StubInterface& stub, const std::string& password, std::ostream& out,
            std::ostream& err, mail::queue::v1::Queue::StubInterface* queue) {
  Runner r(cmd, stub, out, err);
  using S = pb::Admin::StubInterface;
  switch (cmd.verb) {
    case Verb::help:
      out << kUsage;
      return kExitOk;
    case Verb::domain_add: {
      pb::DomainRequest req;
      req.set_name(cmd.name);
      pb::Domain rep;
      if (r.call(&S::AddDomain, req, &rep)) out << "domain " << clean(rep.name()) << " added\n";
      break;
    }
    case Verb::domain_delete: {
      pb::DomainRequest req;
      req.set_name(cmd.name);
      pb::Empty rep;
      if (r.call(&S::DeleteDomain, req, &rep)) out << "domain " << clean(cmd.name) << " deleted\n";
      break;
    }
    case Verb::domain_list: {
      pb::ListDomainsReply rep;
      if (!r.call(&S::ListDomains, pb::ListDomainsRequest{}, &rep)) break;
      std::vector<std::vector<std::string>> rows;
      for (const auto& d : rep.domains()) rows.push_back({d.name(), std::to_string(d.accounts())});
      out << render_table({"DOMAIN", "ACCOUNTS"}, rows);
      break;
    }
    case Verb::account_add: {
      pb::AddAccountRequest req;
      req.set_address(cmd.name);
      req.set_password(password);
      req.set_quota_bytes(cmd.quota.value_or(0));
      pb::Account rep;
      if (r.call(&S::AddAccount, req, &rep))
        out << "account " << clean(rep.address()) << " added (quota " << format_quota(rep.quota_bytes()) << ")\n";
      break;
    }
    case Verb::account_delete: {
      pb::AccountRequest req;
      req.set_address(cmd.name);
      pb::Empty rep;
      if (r.call(&S::DeleteAccount, req, &rep)) out << "account " << clean(cmd.name) << " deleted\n";
      break;
    }
    case Verb::account_show: {
      pb::AccountRequest req;
      req.set_address(cmd.name);
      pb::Account rep;
      if (!r.call(&S::GetAccount, req, &rep)) break;
      print_account(out, rep);
      if (queue) print_queued_as_sender(rep.address(), cmd.queue_server, *queue, out);
      break;
    }
    case Verb::account_list: {
      pb::ListAccountsRequest req;
      req.set_domain(cmd.name);
      pb::ListAccountsReply rep;
      if (!r.call(&S::ListAccounts, req, &rep)) break;
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : rep.accounts())
        rows.push_back({a.address(), format_quota(a.quota_bytes()), format_size(a.used_bytes()),
                        std::to_string(a.messages())});
      out << render_table({"ADDRESS", "QUOTA", "USED", "MESSAGES"}, rows);
      break;
    }
    case Verb::account_passwd: {
      pb::SetPasswordRequest req;
      req.set_address(cmd.name);
      req.set_password(password);
      pb::Empty rep;
      if (r.call(&S::SetPassword, req, &rep)) out << "password of " << clean(cmd.name) << " changed\n";
      break;
    }
    case Verb::account_quota: {
      pb::SetQuotaRequest req;
      req.set_address(cmd.name);
      req.set_quota_bytes(cmd.quota.value_or(0));
      pb::Account rep;
      if (r.call(&S::SetQuota, req, &rep))
        out << "quota of " << clean(rep.address()) << " set to " << format_quota(rep.quota_bytes()) << " (used "
            << format_size(rep.used_bytes()) << ")\n";
      break;
    }
    case Verb::account_disable:
    case Verb::account_enable: {
      pb::SetDisabledRequest req;
      req.set_address(cmd.name);
      req.set_disabled(cmd.verb == Verb::account_disable);
      pb::Account rep;
      if (r.call(&S::SetDisabled, req, &rep))
        out << "account " << clean(rep.address()) << (rep.disabled() ? " disabled" : " enabled") << "\n";
      break;
    }
    case Verb::throttle_clear: {
      pb::ClearLoginThrottleRequest req;
      req.set_address(cmd.address);
      req.set_account(cmd.account);
      pb::ClearLoginThrottleReply rep;
      if (r.call(&S::ClearLoginThrottle, req, &rep))
        out << "login throttle cleared for " << (cmd.address.empty() ? "account " + clean(cmd.account) : "address " + clean(cmd.address))
            << " (" << rep.keys_deleted() << " keys deleted)\n";
      break;
    }
    case Verb::throttle_show: {
      pb::GetLoginThrottleRequest req;
      req.set_address(cmd.address);
      req.set_account(cmd.account);
      pb::LoginThrottleState rep;
      if (r.call(&S::GetLoginThrottle, req, &rep)) print_throttle(out, cmd, rep);
      break;
    }
    case Verb::alias_add: {
      pb::AddAliasRequest req;
      req.set_address(cmd.name);
      for (const auto& t : cmd.targets) req.add_targets(t);
      pb::Alias rep;
      if (!r.call(&S::AddAlias, req, &rep)) break;
      std::string targets;
      for (const auto& t : rep.targets()) targets += (targets.empty() ? "" : ", ") + t;
      out << "alias " << clean(rep.address()) << " -> " << clean(targets) << "\n";
      break;
    }
    case Verb::alias_delete: {
      pb::DeleteAliasRequest req;
      req.set_address(cmd.name);
      if (!cmd.targets.empty()) req.set_target(cmd.targets[0]);
      pb::Empty rep;
      if (r.call(&S::DeleteAlias, req, &rep)) {
        if (cmd.targets.empty()) out << "alias " << clean(cmd.name) << " deleted\n";
        else out << "target " << clean(cmd.targets[0]) << " removed from alias " << clean(cmd.name) << "\n";
      }
      break;
    }
    case Verb::queue_list:
    case Verb::queue_show:
    case Verb::queue_retry:
    case Verb::queue_hold:
    case Verb::queue_release:
    case Verb::queue_delete:
      // main sends these to execute_queue, with the Queue API's stub.
      err << "mailctl: queue commands need the queue server\n";
      return kExitUsage;
    case Verb::alias_list: {
      pb::ListAliasesRequest req;
      req.set_domain(cmd.name);
      pb::ListAliasesReply rep;
      if (!r.call(&S::ListAliases, req, &rep)) break;
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : rep.aliases()) {
        std::string targets;
        for (const auto& t : a.targets()) targets += (targets.empty() ? "" : ", ") + t;
        rows.push_back({a.address(), targets});
      }
      out << render_table({"ALIAS", "TARGETS"}, rows);
      break;
    }
  }
  return r.code();
}

}  // namespace mail::mailctl
