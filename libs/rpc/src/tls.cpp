// SPDX-License-Identifier: Apache-2.0
// gRPC TLS credentials from configuration (see mail/rpc/tls.h).
#include "mail/rpc/tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <fstream>
#include <sstream>

namespace mail::rpc {
namespace {

std::string read_pem(const common::Config& config, const std::string& key) {
  const std::string path = config.str(key, "");
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) throw common::ConfigError("config " + key + ": cannot read " + path);
  return text.str();
}

}  // namespace

bool client_certificates(const common::Config& config) { return !config.str("grpc.tls.client_ca", "").empty(); }

std::shared_ptr<grpc::ServerCredentials> server_credentials(const common::Config& config) {
  const std::string cert = read_pem(config, "grpc.tls.cert");
  const std::string key = read_pem(config, "grpc.tls.key");
  const std::string client_ca = read_pem(config, "grpc.tls.client_ca");
  if (cert.empty() != key.empty()) throw common::ConfigError("config grpc.tls.cert and grpc.tls.key go together");
  if (cert.empty()) {
    if (!client_ca.empty()) throw common::ConfigError("config grpc.tls.client_ca needs grpc.tls.cert and grpc.tls.key");
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions o(client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                                        : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  o.pem_root_certs = client_ca;
  o.pem_key_cert_pairs.push_back({key, cert});
  return grpc::SslServerCredentials(o);
}

ChannelSecurity channel_security(const common::Config& config) {
  ChannelSecurity s;
  const std::string ca = read_pem(config, "grpc.tls.ca");
  if (ca.empty()) return s;
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ca;
  o.pem_cert_chain = read_pem(config, "grpc.tls.cert");
  o.pem_private_key = read_pem(config, "grpc.tls.key");
  if (o.pem_cert_chain.empty() != o.pem_private_key.empty())
    throw common::ConfigError("config grpc.tls.cert and grpc.tls.key go together");
  s.credentials = grpc::SslCredentials(o);
  s.server_name = config.str("grpc.tls.server_name", "");
  return s;
}

}  // namespace mail::rpc
