// SPDX-License-Identifier: Apache-2.0
// tls.h: TLS contexts for the protocol services (server side) and for
// outbound connections (client side, with a verification policy), and a
// self-signed certificate maker for local runs and tests.
// Trusts: the operator's certificate and key files. Errors: std::runtime_error
// naming the file, at start-up only.
#pragma once
#include "mail/net/asio.h"

#include <string>
#include <string_view>

namespace mail::net {

/// A server context loaded from PEM files: `cert_chain_path` holds the leaf
/// certificate followed by any intermediates, `key_path` its private key.
/// Policy: TLS 1.2 minimum; TLS 1.2 limited to ECDHE/DHE with AEAD ciphers;
/// no compression; no renegotiation; automatic DH parameters.
/// Throws std::runtime_error (naming the file) when a file is unreadable or
/// the key does not match the certificate.
asio::ssl::context make_server_tls_context(const std::string& cert_chain_path, const std::string& key_path);

/// How an outbound connection treats the server's certificate.
enum class TlsVerify {
  /// Opportunistic: any certificate is accepted, but it is still checked
  /// (chain and name) so that the caller can report whether it verified.
  none,
  /// The handshake fails unless the chain leads to a trusted CA and the
  /// certificate names the server (the name given to the handshake).
  required,
};

struct ClientTlsOptions {
  TlsVerify verify = TlsVerify::required;
  /// PEM file of trusted CAs; empty: the system store (OpenSSL's default
  /// paths). Used by both policies.
  std::string ca_file;
};

/// A client context (outbound SMTP) with the same protocol and cipher
/// policy as the server side. The server name to check is given per
/// connection (net::start_tls, Connection::start_tls_client).
/// Throws std::runtime_error naming the file when `ca_file` cannot be loaded.
asio::ssl::context make_client_tls_context(const ClientTlsOptions& options);

/// The oldest queued OpenSSL error as text (the queue is cleared), or
/// `when_empty` when there is none.
std::string openssl_error_text(std::string_view when_empty);

/// Shorthand: verify_peer ? {required, system store} : {none, system store}.
asio::ssl::context make_client_tls_context(bool verify_peer);

/// Create a self-signed certificate and key (EC P-256, SHA-256, 10 years,
/// subjectAltName = hostname, as DNS name or IP address) unless both files
/// already exist. The key file is written with mode 0600; missing parent
/// directories are created. For local runs and tests, not production.
/// Throws std::runtime_error on failure.
void ensure_self_signed(const std::string& cert_path, const std::string& key_path, const std::string& hostname);

}  // namespace mail::net
