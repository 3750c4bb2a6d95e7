#pragma once
// A client connection through TLS, terminated in this worker with the site's own key.
// Non-blocking throughout: OpenSSL works on the socket directly, and each call reports what
// it waits for, including the other direction (a read may have to write an alert or a
// post-handshake message, a write may wait for a read).

#include <openssl/ssl.h>

#include <string>

#include "worker/transport.hpp"

namespace bulkhead::worker {

class TlsTransport final : public Transport {
  public:
    TlsTransport(UniqueFd socket, SSL_CTX* context);
    ~TlsTransport() override;

    bool encrypted() const override { return true; }
    IoStatus handshake() override;
    std::string_view alpn() const override;
    IoStatus read(std::span<char> into, std::size_t& got) override;
    IoStatus write(std::string_view data, std::size_t& sent, bool more_follows) override;
    IoStatus send_file(int file, std::uint64_t& offset, std::size_t count,
                       std::size_t& sent) override;
    bool has_input() override;
    void shutdown_write() override;

  private:
    // What an OpenSSL call's result means for us; `own` is the direction the call itself
    // waits for (recorded in blocked_ only when it is the other one).
    IoStatus outcome(int result, Blocked own);

    SSL* ssl_ = nullptr;
    bool handshake_done_ = false;
    // File bytes read for send_file and not yet taken by SSL_write: a retried write must
    // offer the same bytes again.
    std::string file_buffer_;
    std::uint64_t file_buffer_offset_ = 0;
};

}  // namespace bulkhead::worker
