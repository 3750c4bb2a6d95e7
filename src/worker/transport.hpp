#pragma once
// How a client connection's bytes travel: in the clear over the socket (PlainTransport), or
// through TLS with the site's own key (TlsTransport, tls_transport.hpp). The HTTP/1.1 and
// HTTP/2 engines speak only to this interface, so neither knows whether the connection is
// encrypted.
//
// All calls are non-blocking. `would_block` means: call again once the socket is ready. A read
// waits for the socket to be readable and a write for it to be writable, except where
// wants_read()/wants_write() say otherwise: during a TLS handshake, or when TLS needs the
// other direction to finish an operation. A session's epoll interest is therefore its own
// (reading a request, writing a response) plus what the transport wants.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/unique_fd.hpp"

namespace bulkhead::worker {

enum class IoStatus { done, would_block, closed };

class Transport {
  public:
    virtual ~Transport() = default;

    int fd() const { return socket_.get(); }
    virtual bool encrypted() const = 0;

    // Completes the TLS handshake; `done` at once for plain connections.
    virtual IoStatus handshake() = 0;
    // The protocol ALPN chose ("h2", "http/1.1"), or "" when none was negotiated.
    virtual std::string_view alpn() const = 0;

    // Reads up to into.size() bytes; `got` is set when the result is `done` (never 0 then).
    virtual IoStatus read(std::span<char> into, std::size_t& got) = 0;
    // Writes a prefix of `data`; `sent` is set when the result is `done`. `more_follows` hints
    // that more data comes at once (MSG_MORE, or gathering into one TLS record).
    virtual IoStatus write(std::string_view data, std::size_t& sent, bool more_follows) = 0;
    // Sends up to `count` bytes of `file` from `offset`, advancing it; `sent` as for write().
    virtual IoStatus send_file(int file, std::uint64_t& offset, std::size_t count,
                               std::size_t& sent) = 0;
    // Bytes are waiting to be read: decrypted but not yet returned, or still in the kernel.
    virtual bool has_input() = 0;
    // Ends our direction: close_notify for TLS, then FIN.
    virtual void shutdown_write() = 0;

    // What the transport itself waits for, beyond the caller's own direction (always false
    // for plain connections).
    bool wants_read() const { return blocked_ == Blocked::read; }
    bool wants_write() const { return blocked_ == Blocked::write; }

  protected:
    enum class Blocked { none, read, write };
    explicit Transport(UniqueFd socket) : socket_(std::move(socket)) {}
    UniqueFd socket_;
    Blocked blocked_ = Blocked::none;
};

// A plaintext TCP connection: recv, send and sendfile on the socket itself.
class PlainTransport final : public Transport {
  public:
    explicit PlainTransport(UniqueFd socket) : Transport(std::move(socket)) {}
    bool encrypted() const override { return false; }
    IoStatus handshake() override { return IoStatus::done; }
    std::string_view alpn() const override { return {}; }
    IoStatus read(std::span<char> into, std::size_t& got) override;
    IoStatus write(std::string_view data, std::size_t& sent, bool more_follows) override;
    IoStatus send_file(int file, std::uint64_t& offset, std::size_t count,
                       std::size_t& sent) override;
    bool has_input() override;
    void shutdown_write() override;
};

}  // namespace bulkhead::worker
