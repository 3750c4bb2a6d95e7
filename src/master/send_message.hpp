#pragma once
// How the master sends a message to one of its roles: waiting a bounded time for room, since a
// role that has just been started may not be reading yet.

#include "ipc/channel.hpp"
#include "ipc/message.hpp"

namespace bulkhead::master {

inline constexpr int kSendTimeoutMs = 5000;  // a role that does not read its channel is broken

template <typename Message>
bool send_message(int channel, const Message& message, int fd = -1) {
    return ipc::send_datagram_waiting(channel, ipc::bytes_of(message), fd, kSendTimeoutMs)
        .has_value();
}

}  // namespace bulkhead::master
