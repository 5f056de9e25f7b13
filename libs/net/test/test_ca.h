// SPDX-License-Identifier: Apache-2.0
// test_ca.h: a throw-away certificate authority for TLS tests, made with the
// OpenSSL 3 APIs into a temp directory: a CA certificate and a server
// certificate it signed, with the subjectAltNames the test asks for. Keys are
// EC P-256 and live only as long as the test. Test code only: failures throw
// std::runtime_error.
#pragma once
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace mail::net::test {

class TestCa {
 public:
  /// A CA named `name`, its certificate written to `dir`/<name>-ca.pem.
  TestCa(const std::string& dir, const std::string& name) : dir_(dir), name_(name) {
    key_.reset(EVP_EC_gen("P-256"));
    if (!key_) throw std::runtime_error("test ca: key");
    cert_ = make_cert(name + " Test CA", key_.get(), nullptr, key_.get(), "critical,CA:TRUE", "critical,keyCertSign,cRLSign",
                      "");
    ca_file_ = dir + "/" + name + "-ca.pem";
    write(ca_file_, [&](FILE* f) { return PEM_write_X509(f, cert_.get()); });
  }

  const std::string& ca_file() const { return ca_file_; }

  /// Issues a server certificate for `san` (OpenSSL syntax, e.g.
  /// "DNS:mx.test.example,IP:127.0.0.1"); writes <base>.pem (leaf then CA)
  /// and <base>.key; returns their paths.
  std::pair<std::string, std::string> issue(const std::string& base, const std::string& cn, const std::string& san) {
    std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error("test ca: leaf key");
    auto leaf = make_cert(cn, key.get(), cert_.get(), key_.get(), "critical,CA:FALSE", "critical,digitalSignature", san);
    std::string cert_path = dir_ + "/" + base + ".pem", key_path = dir_ + "/" + base + ".key";
    write(cert_path, [&](FILE* f) { return PEM_write_X509(f, leaf.get()) && PEM_write_X509(f, cert_.get()); });
    write(key_path,
          [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
    return {cert_path, key_path};
  }

 private:
  struct Free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
  };
  using Cert = std::unique_ptr<X509, Free>;

  static void add_ext(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
    std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(x, ext.get(), -1) != 1) throw std::runtime_error("test ca: extension " + value);
  }

  // issuer == nullptr: self-signed.
  static Cert make_cert(const std::string& cn, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key,
                        const std::string& basic, const std::string& usage, const std::string& san) {
    Cert x(X509_new());
    std::unique_ptr<BIGNUM, Free> serial(BN_new());
    if (!x || X509_set_version(x.get(), 2) != 1 || !serial ||
        BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())) ||
        !X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600) || X509_set_pubkey(x.get(), subject_key) != 1)
      throw std::runtime_error("test ca: certificate");
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
    add_ext(x.get(), &v3, NID_basic_constraints, basic);
    add_ext(x.get(), &v3, NID_key_usage, usage);
    add_ext(x.get(), &v3, NID_subject_key_identifier, "hash");
    if (issuer) add_ext(x.get(), &v3, NID_authority_key_identifier, "keyid");
    if (!san.empty()) {
      add_ext(x.get(), &v3, NID_ext_key_usage, "serverAuth");
      add_ext(x.get(), &v3, NID_subject_alt_name, san);
    }
    if (X509_sign(x.get(), issuer_key, EVP_sha256()) <= 0) throw std::runtime_error("test ca: sign");
    return x;
  }

  template <class F>
  static void write(const std::string& path, F f) {
    FILE* file = std::fopen(path.c_str(), "w");
    if (!file) throw std::runtime_error("test ca: cannot write " + path);
    bool ok = f(file);
    if (std::fclose(file) != 0 || !ok) throw std::runtime_error("test ca: cannot write " + path);
  }

  std::string dir_, name_, ca_file_;
  std::unique_ptr<EVP_PKEY, Free> key_;
  Cert cert_;
};

}  // namespace mail::net::test
