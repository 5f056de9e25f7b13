// SPDX-License-Identifier: Apache-2.0
// TLS for the gRPC links between services, mutual where configured: a
// service that is given a client CA asks every caller for a certificate,
// verifies it, and takes the certificate's common name as the caller's name
// (CallGuard then checks it like a token's). Tokens keep working over TLS.
//
// Server side (every service with a gRPC API, through service::Process):
//   grpc.tls.cert, grpc.tls.key   PEM files; unset: plaintext (loopback only)
//   grpc.tls.client_ca            PEM CA; set: client certificates required
// Client side (every channel a service opens):
//   grpc.tls.ca                   PEM CA of the servers; set: TLS to them
//   grpc.tls.cert, grpc.tls.key   presented when a server asks (the same
//                                 identity as the server side)
//   grpc.tls.server_name          the name to verify instead of the host
// A file that cannot be read is a ConfigError at start-up.
#pragma once
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "mail/common/config.h"

namespace mail::rpc {

std::shared_ptr<grpc::ServerCredentials> server_credentials(const common::Config& config);

/// How a channel reaches its server: credentials (null: plaintext) and the
/// name to verify.
struct ChannelSecurity {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string server_name;
};

ChannelSecurity channel_security(const common::Config& config);

/// True when this process asks its callers for certificates.
bool client_certificates(const common::Config& config);

}  // namespace mail::rpc
