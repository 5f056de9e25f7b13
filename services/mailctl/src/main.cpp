// SPDX-License-Identifier: Apache-2.0
// mailctl: the command-line client of the admin service's Admin API.
// Exit status: 0 done, 1 refused, 2 usage error, 3 server unreachable.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>

#include "args.h"
#include "commands.h"
#include "password_input.h"

int main(int argc, char** argv) {
  using namespace mail::mailctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("MAILCTL_SERVER");
  std::string default_server = env && *env ? env : "127.0.0.1:7001";

  auto parsed = parse_args(args, default_server);
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

  // The Admin API listens on a private address (loopback or a cluster network).
  auto channel = grpc::CreateChannel(cmd.server, grpc::InsecureChannelCredentials());
  auto stub = mail::admin::v1::Admin::NewStub(channel);
  return execute(cmd, *stub, password, std::cout, std::cerr);
}
