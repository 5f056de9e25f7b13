// SPDX-License-Identifier: Apache-2.0
// The one way a service opens a gRPC channel to another: every call on it
// presents the process's token ("authorization: Bearer <token>"), and it
// reconnects quickly after the peer restarts.
#pragma once
#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "mail/rpc/tls.h"

namespace mail::rpc {

/// Reconnect within about a second after a peer restart (gRPC's default
/// backoff grows to two minutes, far too long for a local service).
grpc::ChannelArguments client_channel_arguments();

/// A channel to `address` ("host:port") on which every call carries `token`
/// (empty: none, for tests of refusals), over TLS when `security` says so.
std::shared_ptr<grpc::Channel> make_channel(const std::string& address, const std::string& token,
                                            const ChannelSecurity& security = {},
                                            grpc::ChannelArguments args = client_channel_arguments());

}  // namespace mail::rpc
