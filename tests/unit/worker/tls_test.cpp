// TLS termination in the worker: the context built from descriptors (as the master passes
// them), handshakes over a socket pair with non-blocking I/O on both ends, ALPN, session
// tickets shared by the workers of one site and refused by another's, OCSP stapling.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "worker/tls_context.hpp"
#include "worker/tls_transport.hpp"

namespace bulkhead::worker {
namespace {

// A self-signed P-256 certificate for `name`, as PEM text, and its key.
struct Credentials {
    std::string certificate;
    std::string key;
};

Credentials make_credentials(const char* name) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    X509_sign(cert, key, EVP_sha256());
    Credentials out;
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    out.certificate.assign(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    size = BIO_get_mem_data(bio, &data);
    out.key.assign(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    X509_free(cert);
    EVP_PKEY_free(key);
    return out;
}

// A descriptor holding `content`, as if the master had opened a file.
UniqueFd descriptor_with(const std::string& content) {
    UniqueFd fd(memfd_create("tls-test", MFD_CLOEXEC));
    EXPECT_EQ(write(fd.get(), content.data(), content.size()),
              static_cast<ssize_t>(content.size()));
    return fd;
}

TicketKey ticket_key(std::uint8_t seed) {
    TicketKey key;
    key.name.fill(seed);
    key.aes_key.fill(static_cast<std::uint8_t>(seed + 1));
    key.hmac_key.fill(static_cast<std::uint8_t>(seed + 2));
    return key;
}

TlsSettings settings_for(const Credentials& credentials, std::vector<TicketKey> keys = {}) {
    TlsSettings settings;
    settings.certificate_chain = descriptor_with(credentials.certificate);
    settings.private_key = descriptor_with(credentials.key);
    settings.ticket_keys = std::move(keys);
    return settings;
}

const Credentials& alpha() {
    static const Credentials credentials = make_credentials("alpha.test");
    return credentials;
}

// A client on one end of a socket pair, the server's TlsTransport on the other, both
// non-blocking: each side is pumped in turn until both are done (bounded).
struct Handshake {
    SSL_CTX* client_context = nullptr;
    SSL* client = nullptr;
    std::unique_ptr<TlsTransport> server;
    IoStatus server_status = IoStatus::would_block;
    bool client_done = false;
    bool client_failed = false;

    Handshake(SSL_CTX* server_context, const char* alpn_offer, std::size_t alpn_size,
              SSL_SESSION* resume = nullptr, int max_version = 0) {
        int pair[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
        server = std::make_unique<TlsTransport>(UniqueFd(pair[0]), server_context);
        client_context = SSL_CTX_new(TLS_client_method());
        if (max_version != 0)
            SSL_CTX_set_max_proto_version(client_context, max_version);
        client = SSL_new(client_context);
        SSL_set_fd(client, pair[1]);
        SSL_set_connect_state(client);
        SSL_set_tlsext_host_name(client, "alpha.test");
        if (alpn_size > 0)
            SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(alpn_offer),
                                static_cast<unsigned>(alpn_size));
        if (resume != nullptr)
            SSL_set_session(client, resume);
    }
    ~Handshake() {
        // A client that leaves without close_notify marks its session unresumable.
        if (client_done)
            SSL_shutdown(client);
        int fd = SSL_get_fd(client);
        SSL_free(client);
        SSL_CTX_free(client_context);
        close(fd);
    }

    bool run() {
        for (int round = 0; round < 50 && !(client_done && server_status == IoStatus::done);
             ++round) {
            if (!client_done) {
                int result = SSL_do_handshake(client);
                if (result == 1) {
                    client_done = true;
                } else {
                    int error = SSL_get_error(client, result);
                    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
                        client_failed = true;
                        ERR_clear_error();
                        return false;
                    }
                }
            }
            if (server_status != IoStatus::done) {
                server_status = server->handshake();
                if (server_status == IoStatus::closed)
                    return false;
            }
        }
        return client_done && server_status == IoStatus::done;
    }

    // TLS 1.3 sends tickets after the handshake: the client reads them with its first read.
    void exchange_a_byte() {
        std::size_t done = 0;
        ASSERT_EQ(server->write("x", done, false), IoStatus::done);
        char byte;
        for (int i = 0; i < 50; ++i) {
            if (SSL_read_ex(client, &byte, 1, &done) == 1)
                return;
        }
        FAIL() << "the client never read the byte";
    }
};

TEST(TlsContext, HandshakeWithCertificateFromDescriptors) {
    auto context = TlsContext::create(settings_for(alpha()));
    ASSERT_TRUE(context) << context.error();
    Handshake handshake((*context)->get(), "\x08http/1.1", 9);
    ASSERT_TRUE(handshake.run());
    X509* peer = SSL_get1_peer_certificate(handshake.client);
    ASSERT_NE(peer, nullptr);
    char name[64] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    EXPECT_STREQ(name, "alpha.test");
    X509_free(peer);
    EXPECT_EQ(handshake.server->alpn(), "http/1.1");
}

TEST(TlsContext, DataBothWaysAndCloseNotify) {
    auto context = TlsContext::create(settings_for(alpha()));
    ASSERT_TRUE(context);
    Handshake handshake((*context)->get(), nullptr, 0);
    ASSERT_TRUE(handshake.run());
    EXPECT_EQ(handshake.server->alpn(), "");  // no ALPN offered: HTTP/1.1
    const char request[] = "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n";
    std::size_t done = 0;
    ASSERT_EQ(SSL_write_ex(handshake.client, request, sizeof request - 1, &done), 1);
    char buffer[256];
    std::size_t got = 0;
    ASSERT_EQ(handshake.server->read(buffer, got), IoStatus::done);
    EXPECT_EQ(std::string(buffer, got), request);
    EXPECT_EQ(handshake.server->read(buffer, got), IoStatus::would_block);
    SSL_shutdown(handshake.client);
    EXPECT_EQ(handshake.server->read(buffer, got), IoStatus::closed);
}

TEST(TlsContext, SendFileThroughTls) {
    auto context = TlsContext::create(settings_for(alpha()));
    ASSERT_TRUE(context);
    Handshake handshake((*context)->get(), nullptr, 0);
    ASSERT_TRUE(handshake.run());
    std::string content(100'000, '\0');
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>(i * 7 % 251);
    UniqueFd file = descriptor_with(content);
    std::uint64_t offset = 10;
    std::string received;
    char buffer[16384];
    for (int round = 0; round < 1000 && received.size() < content.size() - 10; ++round) {
        std::size_t sent = 0;
        if (offset < content.size())
            handshake.server->send_file(file.get(), offset, content.size() - offset, sent);
        std::size_t got = 0;
        while (SSL_read_ex(handshake.client, buffer, sizeof buffer, &got) == 1)
            received.append(buffer, got);
    }
    EXPECT_EQ(received, content.substr(10));
}

TEST(TlsContext, AlpnPrefersHttp2WhenOffered) {
    auto context = TlsContext::create(settings_for(alpha()));
    ASSERT_TRUE(context);
    Handshake handshake((*context)->get(), "\x08http/1.1\x02h2", 12);
    ASSERT_TRUE(handshake.run());
    EXPECT_EQ(handshake.server->alpn(), "h2");
}

TEST(TlsContext, UnknownAlpnFallsBackToHttp11) {
    auto context = TlsContext::create(settings_for(alpha()));
    ASSERT_TRUE(context);
    Handshake handshake((*context)->get(), "\x06spdy/3", 7);
    ASSERT_TRUE(handshake.run());
    EXPECT_EQ(handshake.server->alpn(), "");
}

// Two workers of one site hold the same keys: a ticket from one resumes on the other.
// A worker of another site (other keys) does a full handshake instead.
void check_resumption(int version) {
    auto first = TlsContext::create(settings_for(alpha(), {ticket_key(1)}));
    auto second = TlsContext::create(settings_for(alpha(), {ticket_key(1)}));
    auto stranger = TlsContext::create(settings_for(alpha(), {ticket_key(9)}));
    ASSERT_TRUE(first && second && stranger);
    SSL_SESSION* session = nullptr;
    {
        Handshake handshake((*first)->get(), nullptr, 0, nullptr, version);
        ASSERT_TRUE(handshake.run());
        handshake.exchange_a_byte();
        session = SSL_get1_session(handshake.client);
        ASSERT_NE(session, nullptr);
        ASSERT_TRUE(SSL_SESSION_is_resumable(session));
    }
    {
        Handshake handshake((*second)->get(), nullptr, 0, session, version);
        ASSERT_TRUE(handshake.run());
        EXPECT_TRUE(SSL_session_reused(handshake.client));
    }
    {
        Handshake handshake((*stranger)->get(), nullptr, 0, session, version);
        ASSERT_TRUE(handshake.run());
        EXPECT_FALSE(SSL_session_reused(handshake.client));
    }
    SSL_SESSION_free(session);
}

TEST(TlsContext, TicketsResumeAcrossWorkersOfOneSiteTls13) {
    check_resumption(TLS1_3_VERSION);
}
TEST(TlsContext, TicketsResumeAcrossWorkersOfOneSiteTls12) {
    check_resumption(TLS1_2_VERSION);
}

// TLS 1.3 clients use a ticket once: a resumed connection must bring a fresh ticket, so a
// chain of connections resumes every time instead of every other time.
TEST(TlsContext, ResumedTls13ConnectionGetsAFreshTicket) {
    auto context = TlsContext::create(settings_for(alpha(), {ticket_key(1)}));
    ASSERT_TRUE(context);
    SSL_SESSION* session = nullptr;
    {
        Handshake handshake((*context)->get(), nullptr, 0, nullptr, TLS1_3_VERSION);
        ASSERT_TRUE(handshake.run());
        handshake.exchange_a_byte();
        session = SSL_get1_session(handshake.client);
    }
    for (int round = 0; round < 2; ++round) {
        Handshake handshake((*context)->get(), nullptr, 0, session, TLS1_3_VERSION);
        ASSERT_TRUE(handshake.run());
        EXPECT_TRUE(SSL_session_reused(handshake.client)) << "round " << round;
        handshake.exchange_a_byte();
        SSL_SESSION* renewed = SSL_get1_session(handshake.client);
        ASSERT_NE(renewed, nullptr);
        EXPECT_NE(renewed, session) << "no new ticket on a resumed connection";
        EXPECT_TRUE(SSL_SESSION_is_resumable(renewed));
        SSL_SESSION_free(session);
        session = renewed;
    }
    SSL_SESSION_free(session);
}

TEST(TlsContext, RotatedKeysStillOpenOlderTickets) {
    auto issuer = TlsContext::create(settings_for(alpha(), {ticket_key(1)}));
    auto rotated = TlsContext::create(settings_for(alpha(), {ticket_key(1)}));
    ASSERT_TRUE(issuer && rotated);
    (*rotated)->add_ticket_key(ticket_key(2));  // newest
    SSL_SESSION* session = nullptr;
    {
        Handshake handshake((*issuer)->get(), nullptr, 0);
        ASSERT_TRUE(handshake.run());
        handshake.exchange_a_byte();
        session = SSL_get1_session(handshake.client);
    }
    {
        Handshake handshake((*rotated)->get(), nullptr, 0, session);
        ASSERT_TRUE(handshake.run());
        EXPECT_TRUE(SSL_session_reused(handshake.client));
    }
    // Three more rotations push key 1 out: its tickets no longer resume.
    for (int seed = 3; seed <= 5; ++seed)
        (*rotated)->add_ticket_key(ticket_key(static_cast<std::uint8_t>(seed)));
    {
        Handshake handshake((*rotated)->get(), nullptr, 0, session);
        ASSERT_TRUE(handshake.run());
        EXPECT_FALSE(SSL_session_reused(handshake.client));
    }
    SSL_SESSION_free(session);
}

TEST(TlsContext, MinimumVersionRefusesOlderClients) {
    TlsSettings settings = settings_for(alpha());
    settings.min_version = TLS1_3_VERSION;
    auto context = TlsContext::create(settings);
    ASSERT_TRUE(context);
    Handshake handshake((*context)->get(), nullptr, 0, nullptr, TLS1_2_VERSION);
    EXPECT_FALSE(handshake.run());
}

TEST(TlsContext, MismatchedKeyIsRefusedWithAReason) {
    Credentials mixed{alpha().certificate, make_credentials("other").key};
    auto context = TlsContext::create(settings_for(mixed));
    ASSERT_FALSE(context);
    EXPECT_NE(context.error().find("does not match"), std::string::npos) << context.error();
}

TEST(TlsContext, GarbageCertificateIsRefusedWithAReason) {
    Credentials garbage{"not a certificate\n", alpha().key};
    auto context = TlsContext::create(settings_for(garbage));
    ASSERT_FALSE(context);
    EXPECT_NE(context.error().find("no usable certificate"), std::string::npos) << context.error();
}

TEST(TlsContext, BadCipherListIsRefused) {
    TlsSettings settings = settings_for(alpha());
    settings.ciphers = "NOT-A-CIPHER";
    auto context = TlsContext::create(settings);
    ASSERT_FALSE(context);
    EXPECT_NE(context.error().find("NOT-A-CIPHER"), std::string::npos) << context.error();
}

TEST(TlsContext, StaplesTheConfiguredOcspResponse) {
    TlsSettings settings = settings_for(alpha());
    const std::string response = "\x30\x03\x0a\x01\x00";  // OCSPResponse, status successful
    settings.ocsp_response = descriptor_with(response);
    auto context = TlsContext::create(settings);
    ASSERT_TRUE(context);
    Handshake handshake((*context)->get(), nullptr, 0);
    SSL_set_tlsext_status_type(handshake.client, TLSEXT_STATUSTYPE_ocsp);
    ASSERT_TRUE(handshake.run());
    const unsigned char* stapled = nullptr;
    long size = SSL_get_tlsext_status_ocsp_resp(handshake.client, &stapled);
    ASSERT_EQ(size, static_cast<long>(response.size()));
    EXPECT_EQ(std::memcmp(stapled, response.data(), response.size()), 0);
}

TEST(TlsTransport, GarbageInsteadOfAClientHelloCloses) {
    auto context = TlsContext::create(settings_for(alpha()));
    ASSERT_TRUE(context);
    int ends[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends), 0);
    TlsTransport server{UniqueFd(ends[0]), (*context)->get()};
    UniqueFd client(ends[1]);
    const char garbage[] = "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n";
    ASSERT_EQ(write(client.get(), garbage, sizeof garbage - 1), 36);
    EXPECT_EQ(server.handshake(), IoStatus::closed);
}

}  // namespace
}  // namespace bulkhead::worker
