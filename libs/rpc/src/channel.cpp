// SPDX-License-Identifier: Apache-2.0
// make_channel (see mail/rpc/channel.h): a client interceptor adds the
// bearer token to the initial metadata of every call on the channel.
#include "mail/rpc/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <vector>

namespace mail::rpc {
namespace {

namespace ex = grpc::experimental;

class TokenInterceptor final : public ex::Interceptor {
 public:
  explicit TokenInterceptor(const std::string& header) : header_(header) {}
  void Intercept(ex::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(ex::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA))
      methods->GetSendInitialMetadata()->insert({"authorization", header_});
    methods->Proceed();
  }

 private:
  const std::string& header_;
};

class TokenInterceptorFactory final : public ex::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(const std::string& token) : header_("Bearer " + token) {}
  ex::Interceptor* CreateClientInterceptor(ex::ClientRpcInfo*) override { return new TokenInterceptor(header_); }

 private:
  const std::string header_;  // lives as long as the channel, which owns the factory
};

}  // namespace

grpc::ChannelArguments client_channel_arguments() {
  grpc::ChannelArguments args;
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also uses it as the connect
  // timeout, and a small value makes connecting fail on a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  return args;
}

std::shared_ptr<grpc::Channel> make_channel(const std::string& address, const std::string& token,
                                            const ChannelSecurity& security, grpc::ChannelArguments args) {
  std::vector<std::unique_ptr<ex::ClientInterceptorFactoryInterface>> factories;
  if (!token.empty()) factories.push_back(std::make_unique<TokenInterceptorFactory>(token));
  if (!security.server_name.empty()) args.SetSslTargetNameOverride(security.server_name);
  auto creds = security.credentials ? security.credentials : grpc::InsecureChannelCredentials();
  return ex::CreateCustomChannelWithInterceptors(address, creds, args, std::move(factories));
}

}  // namespace mail::rpc
