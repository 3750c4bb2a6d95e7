#pragma once
// The site's TLS configuration as OpenSSL needs it: certificate chain and key (read from the
// descriptors the master passed), the version and cipher policy, ALPN ("h2", "http/1.1"),
// session tickets under the site's own rotated keys, and OCSP stapling.
//
// Built once per worker before confinement, from descriptors; it never opens a path.

#include <openssl/ssl.h>

#include <deque>
#include <memory>
#include <string>

#include "base/expected.hpp"
#include "ipc/master_worker.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

// The built-in TLS 1.2 policy: forward secrecy and AEAD only.
inline constexpr const char* kDefaultTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

class TlsContext {
  public:
    // Keys a worker keeps: tickets sealed with the newest are accepted, older ones too (the
    // session is then given a fresh ticket) until rotated out.
    static constexpr std::size_t kKeptTicketKeys = ipc::kKeptTicketKeys;

    static Expected<std::unique_ptr<TlsContext>, std::string> create(const TlsSettings& settings);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* get() const { return context_; }
    // A rotated key from the master: the newest from now on.
    void add_ticket_key(const TicketKey& key);

  private:
    TlsContext() = default;
    static int on_ticket_key(SSL* ssl, unsigned char name[16], unsigned char iv[16],
                             EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);
    static int on_status_request(SSL* ssl, void* self);
    int seal_or_open(unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                     EVP_MAC_CTX* mac, bool encrypt, bool tls13) const;

    SSL_CTX* context_ = nullptr;
    std::deque<TicketKey> ticket_keys_;  // newest first
    std::string ocsp_response_;          // DER, "" when none is configured
};

}  // namespace bulkhead::worker
