// SPDX-License-Identifier: Apache-2.0
// Change notices' payloads and config (see change_notices.h); the transport
// is mail/pubsub.
#include "mail/directory/client/change_notices.h"

#include <charconv>

namespace mail::directory {

RedisEndpoint notice_endpoint(const common::Config& config) {
  RedisEndpoint e;
  static_cast<pubsub::Endpoint&>(e) = pubsub::endpoint_from_config(config, "directory.notice_channel", e.channel);
  return e;
}

ChangeNotice parse_change_notice(std::string_view p) {
  ChangeNotice n;
  constexpr std::string_view kAccount = "account ";
  if (p.substr(0, kAccount.size()) != kAccount) return n;
  p.remove_prefix(kAccount.size());
  int64_t id = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), id);
  if (ec != std::errc() || id <= 0) return n;
  std::string_view rest(end, static_cast<size_t>(p.data() + p.size() - end));
  if (!rest.empty() && rest.front() != ' ') return n;
  if (!rest.empty()) rest.remove_prefix(1);
  n.all = false;
  n.account_id = id;
  n.address = std::string(rest);
  return n;
}

std::string format_change_notice(const ChangeNotice& n) {
  if (n.all || n.account_id <= 0) return "all";
  return "account " + std::to_string(n.account_id) + (n.address.empty() ? "" : " " + n.address);
}

}  // namespace mail::directory
