#include "worker/tls_context.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstring>

namespace bulkhead::worker {
namespace {

constexpr std::size_t kMaxPemBytes = 1 << 20;  // a chain is a few KiB; an OCSP response too

// OpenSSL's queued errors as one line (the newest last), emptying the queue.
std::string openssl_errors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        char line[256];
        ERR_error_string_n(code, line, sizeof line);
        if (!text.empty())
            text += "; ";
        text += line;
    }
    return text.empty() ? "no details" : text;
}

// The whole file behind a descriptor the master opened, from its start.
Expected<std::string, std::string> read_descriptor(int fd, const char* what) {
    std::string content;
    char buffer[16384];
    for (off_t offset = 0;;) {
        ssize_t got = pread(fd, buffer, sizeof buffer, offset);
        if (got < 0)
            return unexpected(std::string("cannot read the ") + what + ": " + std::strerror(errno));
        if (got == 0)
            return content;
        content.append(buffer, static_cast<std::size_t>(got));
        offset += got;
        if (content.size() > kMaxPemBytes)
            return unexpected(std::string("the ") + what + " is larger than 1 MiB");
    }
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Bio memory_bio(const std::string& content) {
    return Bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())), &BIO_free);
}

// ALPN (RFC 7301): h2 when the client offers it, then http/1.1; anything else goes on
// without ALPN (the connection speaks HTTP/1.1).
int select_protocol(SSL*, const unsigned char** out, unsigned char* out_length,
                    const unsigned char* offer, unsigned int offer_length, void*) {
    static const unsigned char kPreferred[] = "\x02h2\x08http/1.1";
    unsigned char* chosen = nullptr;
    int result = SSL_select_next_proto(&chosen, out_length, kPreferred, sizeof kPreferred - 1,
                                       offer, offer_length);
    if (result != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// An encrypted key is refused (the configuration check says so first); without this OpenSSL
// would ask for a passphrase on a terminal the worker does not have.
int refuse_passphrase(char*, int, int, void*) {
    return -1;
}

int context_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

}  // namespace

Expected<std::unique_ptr<TlsContext>, std::string> TlsContext::create(const TlsSettings& settings) {
    std::unique_ptr<TlsContext> self(new TlsContext());
    SSL_CTX* context = SSL_CTX_new(TLS_server_method());
    if (context == nullptr)
        return unexpected("cannot create a TLS context: " + openssl_errors());
    self->context_ = context;
    SSL_CTX_set_ex_data(context, context_index(), self.get());

    auto chain = read_descriptor(settings.certificate_chain.get(), "certificate chain");
    if (!chain)
        return unexpected(chain.error());
    Bio chain_bio = memory_bio(*chain);
    std::unique_ptr<X509, decltype(&X509_free)> leaf(
        PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!leaf || SSL_CTX_use_certificate(context, leaf.get()) != 1) {
        return unexpected("the certificate chain holds no usable certificate: " + openssl_errors());
    }
    while (X509* issuer = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)) {
        if (SSL_CTX_add0_chain_cert(context, issuer) != 1) {
            X509_free(issuer);
            return unexpected("cannot add a chain certificate: " + openssl_errors());
        }
    }
    ERR_clear_error();  // the end of the PEM data reads as an error

    auto key_text = read_descriptor(settings.private_key.get(), "private key");
    if (!key_text)
        return unexpected(key_text.error());
    Bio key_bio = memory_bio(*key_text);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(key_bio.get(), nullptr, refuse_passphrase, nullptr),
        &EVP_PKEY_free);
    OPENSSL_cleanse(key_text->data(), key_text->size());
    if (!key)
        return unexpected("the private key is unusable: " + openssl_errors());
    if (X509_check_private_key(leaf.get(), key.get()) != 1) {
        ERR_clear_error();
        return unexpected(std::string("the private key does not match the certificate"));
    }
    if (SSL_CTX_use_PrivateKey(context, key.get()) != 1)
        return unexpected("the private key is unusable: " + openssl_errors());

    SSL_CTX_set_min_proto_version(context, settings.min_version);
    const std::string& ciphers =
        settings.ciphers.empty() ? std::string(kDefaultTls12Ciphers) : settings.ciphers;
    if (SSL_CTX_set_cipher_list(context, ciphers.c_str()) != 1)
        return unexpected("cipher list \"" + ciphers + "\" is unusable: " + openssl_errors());
    if (!settings.ciphersuites.empty() &&
        SSL_CTX_set_ciphersuites(context, settings.ciphersuites.c_str()) != 1) {
        return unexpected("TLS 1.3 suites \"" + settings.ciphersuites +
                          "\" are unusable: " + openssl_errors());
    }
    // No renegotiation (a client-driven CPU sink), no compression (CRIME); the server picks
    // the cipher, preferring ChaCha20 for clients that rank it first (no AES hardware).
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
    // Buffers are released while a keep-alive connection idles: memory per idle connection
    // stays small.
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(context, select_protocol, nullptr);

    // Resumption by tickets only: each worker's session cache would miss whenever the next
    // connection lands on another worker; the site's ticket keys are shared by all of them.
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    static const unsigned char kSessionContext[] = "bulkhead";
    SSL_CTX_set_session_id_context(context, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_timeout(context, 12 * 3600);
    SSL_CTX_set_num_tickets(context, 1);
    for (auto it = settings.ticket_keys.rbegin(); it != settings.ticket_keys.rend(); ++it)
        self->add_ticket_key(*it);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(context, &TlsContext::on_ticket_key);

    if (settings.ocsp_response) {
        auto response = read_descriptor(settings.ocsp_response.get(), "OCSP response");
        if (!response)
            return unexpected(response.error());
        self->ocsp_response_ = std::move(*response);
        SSL_CTX_set_tlsext_status_cb(context, &TlsContext::on_status_request);
        SSL_CTX_set_tlsext_status_arg(context, self.get());
    }
    return self;
}

TlsContext::~TlsContext() {
    for (TicketKey& key : ticket_keys_)
        OPENSSL_cleanse(&key, sizeof key);
    SSL_CTX_free(context_);
}

void TlsContext::add_ticket_key(const TicketKey& key) {
    ticket_keys_.push_front(key);
    while (ticket_keys_.size() > kKeptTicketKeys) {
        OPENSSL_cleanse(&ticket_keys_.back(), sizeof(TicketKey));
        ticket_keys_.pop_back();
    }
}

int TlsContext::on_ticket_key(SSL* ssl, unsigned char name[16], unsigned char iv[16],
                              EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
    auto* self =
        static_cast<const TlsContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
    return self->seal_or_open(name, iv, cipher, mac, encrypt == 1,
                              SSL_version(ssl) == TLS1_3_VERSION);
}

// RFC 5077 with the site's keys: seal new tickets with the newest key; open tickets sealed
// with any kept key, asking for a fresh ticket (return 2) when it was not the newest, and
// always in TLS 1.3, where clients use each ticket once (RFC 8446 C.4): without a fresh one
// every other connection of such a client would be a full handshake.
// Without keys (none arrived) tickets are not issued and resumption falls back to a full
// handshake (return 0).
int TlsContext::seal_or_open(unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                             EVP_MAC_CTX* mac, bool encrypt, bool tls13) const {
    const TicketKey* key = nullptr;
    bool newest = false;
    if (encrypt) {
        if (ticket_keys_.empty())
            return 0;
        key = &ticket_keys_.front();
        newest = true;
        std::memcpy(name, key->name.data(), key->name.size());
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
            return -1;
    } else {
        for (std::size_t i = 0; i < ticket_keys_.size(); ++i) {
            if (std::memcmp(name, ticket_keys_[i].name.data(), 16) == 0) {
                key = &ticket_keys_[i];
                newest = i == 0;
                break;
            }
        }
        if (key == nullptr)
            return 0;  // unknown or rotated out: a full handshake
    }
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                               OSSL_MAC_PARAM_KEY, const_cast<std::uint8_t*>(key->hmac_key.data()),
                               key->hmac_key.size()),
                           OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(mac, params) != 1)
        return -1;
    int ok = encrypt
                 ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes_key.data(), iv)
                 : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes_key.data(), iv);
    if (ok != 1)
        return -1;
    return encrypt || (newest && !tls13) ? 1 : 2;
}

// OCSP stapling (RFC 6066 8): the configured response, to clients that ask for one.
int TlsContext::on_status_request(SSL* ssl, void* argument) {
    const auto* self = static_cast<const TlsContext*>(argument);
    if (self->ocsp_response_.empty())
        return SSL_TLSEXT_ERR_NOACK;
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(self->ocsp_response_.size()));
    if (copy == nullptr)
        return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, self->ocsp_response_.data(), self->ocsp_response_.size());
    if (SSL_set_tlsext_status_ocsp_resp(ssl, copy,
                                        static_cast<long>(self->ocsp_response_.size())) != 1) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace bulkhead::worker
