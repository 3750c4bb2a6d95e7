#include "ipc/channel.hpp"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace bulkhead::ipc {
namespace {

ChannelError error_from_errno(int error_number) {
    switch (error_number) {
        case EAGAIN: return ChannelError::would_block;
        case EPIPE:
        case ECONNRESET: return ChannelError::closed;
        default: return ChannelError::io_error;
    }
}

// The first descriptor of an SCM_RIGHTS message; every further one is closed at once and
// reported, so a peer cannot make us leak descriptors by attaching many.
Expected<UniqueFd, ChannelError> take_descriptor(msghdr& message) {
    UniqueFd first;
    bool extra = false;
    for (cmsghdr* control = CMSG_FIRSTHDR(&message); control != nullptr;
         control = CMSG_NXTHDR(&message, control)) {
        if (control->cmsg_level != SOL_SOCKET || control->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (control->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(control) + i * sizeof(int), sizeof fd);
            if (!first.valid()) {
                first.reset(fd);
            } else {
                UniqueFd closer(fd);
                extra = true;
            }
        }
    }
    if (extra) return unexpected(ChannelError::too_many_fds);
    return first;
}

}  // namespace

const char* describe(ChannelError error) {
    switch (error) {
        case ChannelError::would_block: return "would block";
        case ChannelError::closed: return "peer closed the channel";
        case ChannelError::truncated: return "truncated message";
        case ChannelError::too_many_fds: return "more than one descriptor attached";
        case ChannelError::bad_size: return "wrong message size";
        case ChannelError::bad_type: return "unknown message type";
        case ChannelError::unexpected_fd: return "descriptor attached to a message that takes none";
        case ChannelError::missing_fd: return "descriptor missing";
        case ChannelError::io_error: return "I/O error";
    }
    return "?";
}

Expected<void, ChannelError> send_datagram(int socket, std::span<const std::byte> bytes,
                                           int fd_to_pass) {
    return send_datagram(socket, bytes, {}, fd_to_pass);
}

Expected<void, ChannelError> send_datagram(int socket, std::span<const std::byte> head,
                                           std::span<const std::byte> tail, int fd_to_pass) {
    iovec parts[2] = {{const_cast<std::byte*>(head.data()), head.size()},
                      {const_cast<std::byte*>(tail.data()), tail.size()}};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = tail.empty() ? 1 : 2;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (fd_to_pass >= 0) {
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(header), &fd_to_pass, sizeof fd_to_pass);
    }
    for (;;) {
        ssize_t sent = sendmsg(socket, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0) return {};
        if (errno != EINTR) return unexpected(error_from_errno(errno));
    }
}

Expected<Datagram, ChannelError> receive_datagram(int socket, std::span<std::byte> buffer) {
    iovec part{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t received;
    do {
        received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return unexpected(error_from_errno(errno));
    auto fd = take_descriptor(message);  // taken first, so it is closed on every error path
    if (received == 0 && message.msg_controllen == 0) return unexpected(ChannelError::closed);
    if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return unexpected(ChannelError::truncated);
    if (!fd) return unexpected(fd.error());
    Datagram datagram;
    datagram.size = static_cast<std::size_t>(received);
    datagram.fd = std::move(*fd);
    return datagram;
}

Expected<void, ChannelError> send_datagram_waiting(int socket, std::span<const std::byte> bytes,
                                                   int fd_to_pass, int timeout_ms) {
    for (;;) {
        auto sent = send_datagram(socket, bytes, fd_to_pass);
        if (sent || sent.error() != ChannelError::would_block) return sent;
        pollfd watched{socket, POLLOUT, 0};
        int ready = poll(&watched, 1, timeout_ms);
        if (ready == 0) return unexpected(ChannelError::would_block);
        if (ready < 0 && errno != EINTR) return unexpected(ChannelError::io_error);
    }
}

Expected<Datagram, ChannelError> receive_datagram_waiting(int socket, std::span<std::byte> buffer,
                                                          int timeout_ms) {
    pollfd watched{socket, POLLIN, 0};
    int ready;
    do {
        ready = poll(&watched, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) return unexpected(ChannelError::would_block);
    if (ready < 0) return unexpected(ChannelError::io_error);
    return receive_datagram(socket, buffer);
}

Expected<std::pair<UniqueFd, UniqueFd>, ChannelError> make_channel_pair() {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
        return unexpected(ChannelError::io_error);
    }
    return std::pair<UniqueFd, UniqueFd>{UniqueFd(ends[0]), UniqueFd(ends[1])};
}

}  // namespace bulkhead::ipc
