#pragma once
// One datagram per message over a SOCK_SEQPACKET socket pair, with at most one descriptor
// attached (SCM_RIGHTS). The receiver gets the exact size and the descriptor, and checks both
// against what the message type demands (message.hpp).

#include <cstddef>
#include <span>
#include <utility>

#include "base/expected.hpp"
#include "base/unique_fd.hpp"

namespace bulkhead::ipc {

enum class ChannelError {
    would_block,     // nothing to read (non-blocking), or the peer's buffer is full
    closed,          // the peer closed its end
    truncated,       // the datagram or its control data did not fit: a protocol violation
    too_many_fds,    // more than one descriptor attached: a protocol violation
    bad_size,        // the size is not what the message type demands
    bad_type,        // an unknown message type
    unexpected_fd,   // a descriptor came with a message that takes none
    missing_fd,      // a message that needs a descriptor came without one
    io_error,        // anything else; errno is logged by the caller
};

const char* describe(ChannelError error);

struct Datagram {
    std::size_t size = 0;  // bytes received into the caller's buffer
    UniqueFd fd;           // the attached descriptor, if any (close-on-exec)
};

// Returns would_block rather than waiting when the socket is non-blocking.
Expected<void, ChannelError> send_datagram(int socket, std::span<const std::byte> bytes,
                                           int fd_to_pass = -1);
Expected<void, ChannelError> send_datagram(int socket, std::span<const std::byte> head,
                                           std::span<const std::byte> tail, int fd_to_pass);
Expected<Datagram, ChannelError> receive_datagram(int socket, std::span<std::byte> buffer);

// Like send_datagram, but waits up to timeout_ms for room in the peer's buffer. For the
// master's start-up messages to a role that has not begun reading yet.
Expected<void, ChannelError> send_datagram_waiting(int socket, std::span<const std::byte> bytes,
                                                   int fd_to_pass, int timeout_ms);

// Waits until `socket` is readable (or timeout_ms passes; -1: forever), then receives.
// For start-up exchanges, before a role has an event loop.
Expected<Datagram, ChannelError> receive_datagram_waiting(int socket, std::span<std::byte> buffer,
                                                          int timeout_ms);

// A connected SOCK_SEQPACKET pair, both ends close-on-exec.
Expected<std::pair<UniqueFd, UniqueFd>, ChannelError> make_channel_pair();

}  // namespace bulkhead::ipc
