// SPDX-License-Identifier: Apache-2.0
// mailctl: the command-line client of the admin service's Admin API and of
// the mta's Queue API (mailctl queue; account show asks it too), both with
// the administrators' token.
// Exit status: 0 done, 1 refused (credentials too), 2 usage error or no
// token, 3 server unreachable.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <iostream>

#include "args.h"
#include "commands.h"
#include "queue_commands.h"
#include "mail/rpc/channel.h"
#include "password_input.h"
#include "token.h"

int main(int argc, char** argv) {
  using namespace mail::mailctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("MAILCTL_SERVER");
  std::string default_server = env && *env ? env : "127.0.0.1:7001";
  const char* queue_env = std::getenv("MAILCTL_QUEUE_SERVER");
  std::string default_queue_server = queue_env && *queue_env ? queue_env : "127.0.0.1:7002";

  auto parsed = parse_args(args, default_server, default_queue_server);
  if (auto* e = std::get_if<UsageError>(&parsed)) {
    std::cerr << "mailctl: " << e->message << "\n(see mailctl --help)\n";
    return kExitUsage;
  }
  const Command& cmd = std::get<Command>(parsed);
  if (cmd.verb == Verb::help) {
    std::cout << kUsage;
    return kExitOk;
  }

  std::string password;
  if (cmd.password != PasswordSource::none) {
    PasswordRead r = read_password(cmd);
    if (!r.password) {
      std::cerr << "mailctl: " << r.error << "\n";
      return kExitRefused;
    }
    password = std::move(*r.password);
  }

  // The Admin API answers administrators only: find our token.
  std::error_code ec;
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  auto token_file = find_token_file(cmd.token_file, std::getenv("MAILCTL_TOKEN_FILE"), exe, [](const std::string& p) {
    std::error_code e;
    return std::filesystem::exists(p, e);
  });
  if (!token_file) {
    std::cerr << "mailctl: no administrator token found; give --token-file FILE or set MAILCTL_TOKEN_FILE\n"
                 "(scripts/run keeps the local one in .run/secrets/admin.token)\n";
    return kExitUsage;
  }
  TokenRead token = read_token(*token_file);
  if (!token.token) {
    std::cerr << "mailctl: " << token.error << "\n";
    return kExitUsage;
  }
  // TLS to the admin service where $MAILCTL_TLS_CA names its CA (with
  // $MAILCTL_TLS_CERT / $MAILCTL_TLS_KEY when it asks for a certificate).
  std::map<std::string, std::string> tls;
  for (auto [key, var] : {std::pair{"grpc.tls.ca", "MAILCTL_TLS_CA"}, std::pair{"grpc.tls.cert", "MAILCTL_TLS_CERT"},
                          std::pair{"grpc.tls.key", "MAILCTL_TLS_KEY"}, std::pair{"grpc.tls.server_name", "MAILCTL_TLS_SERVER_NAME"}})
    if (const char* v = std::getenv(var); v && *v) tls[key] = v;
  mail::rpc::ChannelSecurity security;
  try {
    security = mail::rpc::channel_security(mail::common::Config::from_map(tls));
  } catch (const std::exception& e) {
    std::cerr << "mailctl: " << e.what() << "\n";
    return kExitUsage;
  }
  // A list of 10000 jobs is more than gRPC's default 4 MiB reply.
  auto queue_channel_args = mail::rpc::client_channel_arguments();
  queue_channel_args.SetMaxReceiveMessageSize(64 << 20);
  if (is_queue_verb(cmd.verb)) {
    auto queue = mail::queue::v1::Queue::NewStub(mail::rpc::make_channel(cmd.queue_server, *token.token, security, queue_channel_args));
    return execute_queue(cmd, *queue, std::cout, std::cerr);
  }
  auto channel = mail::rpc::make_channel(cmd.server, *token.token, security);
  auto stub = mail::admin::v1::Admin::NewStub(channel);
  std::unique_ptr<mail::queue::v1::Queue::Stub> queue;
  if (cmd.verb == Verb::account_show)
    queue = mail::queue::v1::Queue::NewStub(mail::rpc::make_channel(cmd.queue_server, *token.token, security, queue_channel_args));
  return execute(cmd, *stub, password, std::cout, std::cerr, queue.get());
}
