#include "worker/tls_transport.hpp"

#include <errno.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace bulkhead::worker {
namespace {

constexpr std::size_t kFileRecordBytes = 16 * 1024;  // one full TLS record per write

}  // namespace

TlsTransport::TlsTransport(UniqueFd socket, SSL_CTX* context) : Transport(std::move(socket)) {
    ssl_ = SSL_new(context);
    if (ssl_ != nullptr) {
        SSL_set_fd(ssl_, fd());
        SSL_set_accept_state(ssl_);
    }
}

TlsTransport::~TlsTransport() {
    SSL_free(ssl_);
}

IoStatus TlsTransport::outcome(int result, Blocked own) {
    if (result == 1) {
        blocked_ = Blocked::none;
        return IoStatus::done;
    }
    switch (SSL_get_error(ssl_, result)) {
        case SSL_ERROR_WANT_READ:
            blocked_ = own == Blocked::read ? Blocked::none : Blocked::read;
            return IoStatus::would_block;
        case SSL_ERROR_WANT_WRITE:
            blocked_ = own == Blocked::write ? Blocked::none : Blocked::write;
            return IoStatus::would_block;
        case SSL_ERROR_SYSCALL:
            if (errno == EINTR || errno == EAGAIN) {
                blocked_ = Blocked::none;
                return IoStatus::would_block;
            }
            [[fallthrough]];
        default:
            // The peer's close_notify, a reset, or a protocol error: the connection is over.
            // The queue is per thread; leave nothing for the next connection to misread.
            ERR_clear_error();
            blocked_ = Blocked::none;
            return IoStatus::closed;
    }
}

IoStatus TlsTransport::handshake() {
    if (handshake_done_)
        return IoStatus::done;
    if (ssl_ == nullptr)
        return IoStatus::closed;
    // Both directions are the handshake's own: record either so the caller watches it.
    int result = SSL_do_handshake(ssl_);
    IoStatus status = outcome(result, Blocked::none);
    handshake_done_ = status == IoStatus::done;
    return status;
}

std::string_view TlsTransport::alpn() const {
    const unsigned char* name = nullptr;
    unsigned int length = 0;
    if (ssl_ != nullptr)
        SSL_get0_alpn_selected(ssl_, &name, &length);
    return {reinterpret_cast<const char*>(name), name ? length : 0};
}

IoStatus TlsTransport::read(std::span<char> into, std::size_t& got) {
    if (ssl_ == nullptr)
        return IoStatus::closed;
    return outcome(SSL_read_ex(ssl_, into.data(), into.size(), &got), Blocked::read);
}

IoStatus TlsTransport::write(std::string_view data, std::size_t& sent, bool) {
    if (ssl_ == nullptr)
        return IoStatus::closed;
    if (data.empty()) {
        sent = 0;
        return IoStatus::done;
    }
    return outcome(SSL_write_ex(ssl_, data.data(), data.size(), &sent), Blocked::write);
}

// No sendfile through TLS (without kernel TLS): the file goes through a record-sized buffer.
IoStatus TlsTransport::send_file(int file, std::uint64_t& offset, std::size_t count,
                                 std::size_t& sent) {
    if (file_buffer_.empty() || file_buffer_offset_ != offset) {
        file_buffer_.resize(std::min(count, kFileRecordBytes));
        ssize_t got =
            pread(file, file_buffer_.data(), file_buffer_.size(), static_cast<off_t>(offset));
        if (got <= 0) {
            file_buffer_.clear();
            return IoStatus::closed;  // an error, or the file shrank under us
        }
        file_buffer_.resize(static_cast<std::size_t>(got));
        file_buffer_offset_ = offset;
    }
    IoStatus status = write(file_buffer_, sent, false);
    if (status == IoStatus::done) {
        file_buffer_.erase(0, sent);
        offset += sent;
        file_buffer_offset_ = offset;
    }
    return status;
}

bool TlsTransport::has_input() {
    if (ssl_ != nullptr && SSL_has_pending(ssl_))
        return true;
    char probe;
    return recv(fd(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void TlsTransport::shutdown_write() {
    if (ssl_ != nullptr && handshake_done_) {
        SSL_shutdown(ssl_);  // close_notify; the answer, if any, is not waited for
        ERR_clear_error();
    }
    shutdown(fd(), SHUT_WR);
}

}  // namespace bulkhead::worker
