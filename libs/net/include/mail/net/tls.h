// SPDX-License-Identifier: Apache-2.0
// tls.h: TLS contexts for the protocol services, and a self-signed
// certificate maker for local runs and tests.
// Trusts: the operator's certificate and key files. Errors: std::runtime_error
// naming the file, at start-up only.
#pragma once
#include "mail/net/asio.h"

#include <string>

namespace mail::net {

/// A server context loaded from PEM files: `cert_chain_path` holds the leaf
/// certificate followed by any intermediates, `key_path` its private key.
/// Policy: TLS 1.2 minimum; TLS 1.2 limited to ECDHE/DHE with AEAD ciphers;
/// no compression; no renegotiation; automatic DH parameters.
/// Throws std::runtime_error (naming the file) when a file is unreadable or
/// the key does not match the certificate.
asio::ssl::context make_server_tls_context(const std::string& cert_chain_path, const std::string& key_path);

/// A client context (outbound SMTP). With `verify_peer` the system trust
/// store is used and the peer certificate is verified (the caller still has
/// to check the host name, e.g. with asio::ssl::host_name_verification);
/// without it any certificate is accepted (opportunistic TLS, tests).
asio::ssl::context make_client_tls_context(bool verify_peer);

/// Create a self-signed certificate and key (EC P-256, SHA-256, 10 years,
/// subjectAltName = hostname, as DNS name or IP address) unless both files
/// already exist. The key file is written with mode 0600; missing parent
/// directories are created. For local runs and tests, not production.
/// Throws std::runtime_error on failure.
void ensure_self_signed(const std::string& cert_path, const std::string& key_path, const std::string& hostname);

}  // namespace mail::net
