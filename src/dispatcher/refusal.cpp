// The dispatcher's own answers, and the lingering close that follows every one of them.

#include <errno.h>
#include <sys/socket.h>

#include "dispatcher/canned_response.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher/tls_alert.hpp"

namespace bulkhead::dispatcher {
namespace {

constexpr Millis kLingerMs = 2000;  // how long a half-closed connection may drain

}  // namespace

// A canned HTTP response; on a TLS connection, where HTTP cannot be spoken before the
// handshake, the matching alert or nothing.
void Dispatcher::answer_and_close(PendingConnection& pending, int status) {
    if (pending.flags & ipc::kConnectionTls) {
        std::optional<TlsAlert> alert = alert_for_status(status);
        return send_and_linger(pending, alert ? fatal_alert_record(*alert) : std::string_view{});
    }
    send_and_linger(pending, canned_response(status));
}

// Writes `bytes` (if any), half-closes, and drains what the client still sends for a moment:
// closing with unread bytes would reset the connection and could destroy the answer before
// the client reads it.
void Dispatcher::send_and_linger(PendingConnection& pending, std::string_view bytes) {
    int fd = pending.socket.get();
    if (!bytes.empty()) {
        ssize_t ignored = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;  // a full buffer or a gone client: nothing more to do either way
    }
    shutdown(fd, SHUT_WR);
    pending.lingering = true;
    pending.carried.clear();
    pending.deadline = monotonic_ms() + kLingerMs;
    pending.generation = next_generation_++;
    timers_.emplace(pending.deadline, fd, pending.generation);
    if (pending.registered)
        epoll_.remove(fd);
    epoll_.add(fd, EPOLLIN | EPOLLRDHUP, token(Kind::client, fd));
    pending.registered = true;
}

void Dispatcher::drain_lingering(PendingConnection& pending) {
    char sink[4096];
    for (int i = 0; i < 16; ++i) {
        ssize_t got = recv(pending.socket.get(), sink, sizeof sink, MSG_DONTWAIT);
        if (got > 0)
            continue;
        if (got < 0 && errno == EAGAIN)
            return;
        break;  // EOF or error: done
    }
    forget(pending.socket.get());
}

}  // namespace bulkhead::dispatcher
