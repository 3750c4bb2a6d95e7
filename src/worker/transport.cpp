#include "worker/transport.hpp"

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

namespace bulkhead::worker {
namespace {

bool transient(int error) {
    return error == EAGAIN || error == EINTR;
}

}  // namespace

IoStatus PlainTransport::read(std::span<char> into, std::size_t& got) {
    ssize_t n = recv(fd(), into.data(), into.size(), 0);
    if (n > 0) {
        got = static_cast<std::size_t>(n);
        return IoStatus::done;
    }
    if (n < 0 && transient(errno)) {
        return IoStatus::would_block;
    }
    return IoStatus::closed;
}

IoStatus PlainTransport::write(std::string_view data, std::size_t& sent, bool more_follows) {
    ssize_t n = send(fd(), data.data(), data.size(),
                     MSG_NOSIGNAL | MSG_DONTWAIT | (more_follows ? MSG_MORE : 0));
    if (n >= 0) {
        sent = static_cast<std::size_t>(n);
        return IoStatus::done;
    }
    if (transient(errno)) {
        return IoStatus::would_block;
    }
    return IoStatus::closed;
}

IoStatus PlainTransport::send_file(int file, std::uint64_t& offset, std::size_t count,
                                   std::size_t& sent) {
    off_t position = static_cast<off_t>(offset);
    ssize_t n = sendfile(fd(), file, &position, count);
    if (n > 0) {
        offset = static_cast<std::uint64_t>(position);
        sent = static_cast<std::size_t>(n);
        return IoStatus::done;
    }
    if (n < 0 && transient(errno)) {
        return IoStatus::would_block;
    }
    return IoStatus::closed;  // an error, or the file shrank under us
}

bool PlainTransport::has_input() {
    char probe;
    return recv(fd(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void PlainTransport::shutdown_write() {
    shutdown(fd(), SHUT_WR);
}

}  // namespace bulkhead::worker
