// SPDX-License-Identifier: Apache-2.0
// tls.cpp: TLS context policy (server and client side), and self-signed
// certificates for local runs, using the OpenSSL 3 EVP interfaces. Trusts
// the operator's files; every OpenSSL failure becomes a std::runtime_error
// naming what failed (start-up only).
#include "mail/net/tls.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>

namespace mail::net {

std::string openssl_error_text(std::string_view when_empty) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return std::string(when_empty);
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

namespace {

// TLS 1.2 suites: forward secrecy and AEAD only (Mozilla "intermediate").
// TLS 1.3 suites are OpenSSL's defaults, which are all fine.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

constexpr long kTenYears = 10L * 365 * 24 * 3600;

std::string openssl_error() { return openssl_error_text("unknown OpenSSL error"); }

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("tls: " + what + ": " + openssl_error()); }

void apply_common_policy(SSL_CTX* c) {
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) fail("cannot set minimum protocol");
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) fail("cannot set cipher list");
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

// Hostnames go into an OpenSSL config string ("DNS:<name>"), so only plain
// host-name characters are allowed.
bool plain_hostname(const std::string& h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':')) return false;
  return true;
}

void add_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1) fail("cannot add extension " + value);
}

std::string to_pem(const std::function<int(BIO*)>& writer, const char* what) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || writer(bio.get()) != 1) fail(std::string("cannot encode ") + what);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// Write via a temporary file and rename, so a crash never leaves half a key.
void write_file(const std::string& path, const std::string& content, mode_t mode) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("tls: cannot create " + tmp);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("tls: cannot write " + tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error("tls: cannot write " + tmp);
  std::filesystem::rename(tmp, path);
}

}  // namespace

asio::ssl::context make_server_tls_context(const std::string& cert_chain_path, const std::string& key_path) {
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  SSL_CTX* c = ctx.native_handle();
  apply_common_policy(c);
  SSL_CTX_set_dh_auto(c, 1);
  if (SSL_CTX_use_certificate_chain_file(c, cert_chain_path.c_str()) != 1)
    fail("cannot load certificate chain " + cert_chain_path);
  if (SSL_CTX_use_PrivateKey_file(c, key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    fail("cannot load private key " + key_path);
  if (SSL_CTX_check_private_key(c) != 1) fail("key " + key_path + " does not match " + cert_chain_path);
  return ctx;
}

asio::ssl::context make_client_tls_context(const ClientTlsOptions& options) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX* c = ctx.native_handle();
  apply_common_policy(c);
  // Trust anchors are loaded under both policies: with TlsVerify::none the
  // chain is still checked, only its failure does not end the handshake.
  if (options.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(c) != 1) fail("cannot load the system trust store");
  } else if (SSL_CTX_load_verify_locations(c, options.ca_file.c_str(), nullptr) != 1) {
    fail("cannot load CA file " + options.ca_file);
  }
  SSL_CTX_set_verify(c, options.verify == TlsVerify::required ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return ctx;
}

asio::ssl::context make_client_tls_context(bool verify_peer) {
  return make_client_tls_context(ClientTlsOptions{verify_peer ? TlsVerify::required : TlsVerify::none, {}});
}

void ensure_self_signed(const std::string& cert_path, const std::string& key_path, const std::string& hostname) {
  if (std::filesystem::exists(cert_path) && std::filesystem::exists(key_path)) return;
  if (!plain_hostname(hostname)) throw std::runtime_error("tls: unusable host name for a certificate: " + hostname);

  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate an EC P-256 key");

  std::unique_ptr<X509, X509Free> x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1) fail("cannot create certificate");
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())))
    fail("cannot set serial number");
  if (!X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) || !X509_gmtime_adj(X509_getm_notAfter(x.get()), kTenYears))
    fail("cannot set validity");
  if (X509_set_pubkey(x.get(), key.get()) != 1) fail("cannot set public key");

  X509_NAME* name = X509_get_subject_name(x.get());
  std::string cn = hostname.substr(0, 64);  // the CN attribute is limited to 64 characters
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(x.get(), name) != 1)
    fail("cannot set subject");

  boost::system::error_code ec;
  asio::ip::make_address(hostname, ec);
  std::string san = (ec ? "DNS:" : "IP:") + hostname;
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  add_ext(x.get(), &v3, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(x.get(), &v3, NID_key_usage, "critical,digitalSignature");
  add_ext(x.get(), &v3, NID_ext_key_usage, "serverAuth");
  add_ext(x.get(), &v3, NID_subject_key_identifier, "hash");
  add_ext(x.get(), &v3, NID_subject_alt_name, san);

  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign certificate");

  std::string key_pem =
      to_pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); },
             "private key");
  std::string cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, x.get()); }, "certificate");
  write_file(key_path, key_pem, 0600);
  write_file(cert_path, cert_pem, 0644);
}

}  // namespace mail::net
