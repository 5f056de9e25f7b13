// SPDX-License-Identifier: Apache-2.0
// MsaConfig: everything mail-msa reads from its YAML file (and MAIL_* overrides),
// parsed once at start-up into an immutable struct.
//
// Keys and defaults (sizes take K/M/G, durations ms/s/m/h):
//   log.level                  info
//   smtp.hostname              the host name in the greeting, EHLO, Received, Message-ID
//   smtp.mx_listen             "127.0.0.1:2525"   port 25 role: plain + STARTTLS, local recipients only
//   smtp.submission_listen     "127.0.0.1:2587"   port 587 role: STARTTLS, then AUTH before MAIL
//   smtp.submissions_listen    "127.0.0.1:2465"   port 465 role: implicit TLS, AUTH before MAIL
//                              (an empty value disables that listener)
//   smtp.max_message_size      25M     SIZE advertised and enforced on the decoded message
//   smtp.max_recipients        100     accepted RCPTs per transaction (then 452 4.5.3)
//   smtp.max_command_line      2048    octets without CRLF; RFC 5321 asks for at least 512,
//                                      extensions (SIZE, BODY, AUTH=) make longer lines real
//   smtp.max_text_line         8192    DATA line octets incl. CRLF. RFC 5321 caps lines at 1000,
//                                      but it also says receivers should impose no limit where
//                                      they can, and real mail (generated HTML, long base64-less
//                                      lines) routinely exceeds 1000; Postfix accepts any length.
//                                      8192 accepts that mail while still refusing binary junk
//                                      that is not line-structured at all.
//   smtp.max_errors            20      5xx replies per connection, then 421 4.7.0 and close
//   smtp.max_received          100     Received fields (ours included) that make a mail loop: 554 5.4.6
//   smtp.max_auth_failures     3       failed AUTH per connection, then 421 4.7.0 and close
//   smtp.auth_failure_delay    1s      pause before answering a failed AUTH (slows guessing)
//   smtp.command_timeout       5m      per command read (RFC 5321 4.5.3.2.7)
//   smtp.data_timeout          10m     per read during DATA (RFC 5321 4.5.3.2.5/6 use 3m/10m);
//                                      also the longest wait for smtp.data_memory_budget
//   smtp.data_memory_budget    64M     message bytes all sessions together may hold during DATA
//                                      (each holds its header, then one mta.chunk_size chunk);
//                                      when spent, a session waits up to smtp.data_timeout, then
//                                      the transaction gets 451 4.3.1 at end of data. At least
//                                      2 x mta.chunk_size and 1M
//   smtp.max_connections       1000    concurrent sessions per listener; beyond it 421 4.7.0
//   smtp.reverse_lookup        true    forward-confirmed reverse DNS for the Received header
//   smtp.relay_networks     ""      CIDRs whose clients may relay without AUTH (as Postfix's
//                                      mynetworks); authenticated clients always may
//   smtp.postmaster_domain     hostname minus its first label: where RCPT TO:<postmaster> goes
//   smtp.shutdown_grace        5s      on SIGTERM, how long sessions may finish their transaction
//   tls.cert, tls.key          PEM files; without them no STARTTLS, no AUTH, no 465 listener
//   http.listen                "127.0.0.1:9101"   /metrics /healthz /readyz
//   mta.address                "127.0.0.1:7002"   Transfer.Submit
//   mta.deadline               60s     whole Submit call (stream and commit)
//   mta.chunk_size             256K    body chunk per stream message; a message larger than one
//                                      chunk is forwarded chunk by chunk while it arrives
//                                      (Transfer.Stage/Append/Commit), a smaller one in one Submit
//   mta.retry_window           10s     how long a DATA reply may wait for an unavailable mta
//                                      (a restart) before answering 451; retries reuse the
//                                      idempotency key, so they never queue a second copy
//   directory.address, .deadline, .cache_ttl, .recipient_cache_ttl (10s: shorter,
//                              since quota use changes with every delivery), .cache_entries:
//                              the Directory client, read as every edge reads it
//                              (mail/directory/client/client_settings.h)
//   directory.recipient_delimiter "+"  address extensions: the owner of alice@ may send as alice+tag@
//   auth.token_file            this service's token, presented to the Directory and the mta
//   redis.host, redis.port     change notices: a changed password is refused within a second
//                              (unset: only directory.cache_ttl bounds it)
//   threads.io                 number of CPUs (network only, never block)
//   threads.blocking           32      gRPC calls (they block while the peer works)
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "mail/common/config.h"
#include "mail/directory/client/client_settings.h"
#include "mail/net/cidr.h"
#include "mail/smtp/limits.h"

namespace mail::msa {

/// "host:port" or "[v6]:port"; empty host and port 0 when the text was empty.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
  bool enabled() const { return port != 0; }
};

/// Parses "127.0.0.1:2525", "[::1]:25", ":25" (all IPv4 addresses). Throws
/// common::ConfigError naming `key` on malformed text.
ListenAddress parse_listen(const std::string& key, const std::string& text);

struct SmtpSettings {
  std::string hostname = "localhost";
  std::string postmaster_domain = "localhost";
  smtp::Limits limits;
  size_t max_errors = 20;
  size_t max_received = 100;
  size_t max_auth_failures = 3;
  std::chrono::milliseconds auth_failure_delay{1000};
  std::chrono::milliseconds command_timeout{5 * 60 * 1000};
  std::chrono::milliseconds data_timeout{10 * 60 * 1000};
  bool reverse_lookup = true;
  std::chrono::milliseconds mta_retry_window{10000};
  std::string recipient_delimiter = "+";  ///< directory.recipient_delimiter (as mail-admin): alice+tag@ is alice@'s
  /// smtp.relay_networks: clients that may send to other domains without
  /// AUTH (Postfix's mynetworks); empty: only authenticated clients may.
  net::NetworkList relay_networks;
};

struct MsaConfig {
  std::string log_level = "info";
  SmtpSettings smtp;
  ListenAddress mx_listen, submission_listen, submissions_listen, http_listen;
  size_t max_connections = 1000;
  std::chrono::milliseconds shutdown_grace{5000};
  std::string tls_cert, tls_key;

  std::string mta_address = "127.0.0.1:7002";
  std::chrono::milliseconds mta_deadline{60000};
  size_t mta_chunk_size = 256 * 1024;
  size_t data_memory_budget = 64 * 1024 * 1024;

  directory::DirectoryClientSettings directory;  ///< directory.* (client_settings.h)

  size_t io_threads = 2;
  size_t blocking_threads = 32;
};

/// Reads and checks every key (see the table above). Throws
/// common::ConfigError on a malformed or out-of-range value.
MsaConfig load_msa_config(const common::Config& config);

/// "mail.example.test" → "example.test"; a name with fewer than three labels
/// is returned unchanged.
std::string default_postmaster_domain(const std::string& hostname);

}  // namespace mail::msa
