#pragma once
// A socket address as fixed bytes, for messages: IPv4 or IPv6, address and port.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace bulkhead::ipc {

struct Endpoint {
    std::uint8_t family = 0;      // 4, 6, or 0 for unknown
    std::uint8_t reserved = 0;
    std::uint16_t port = 0;       // host byte order
    std::uint8_t address[16] = {};  // IPv4 in the first 4 bytes
};
static_assert(sizeof(Endpoint) == 20);

Endpoint endpoint_from(const sockaddr_storage& address);
// "192.0.2.1", "2001:db8::1"
std::string address_text(const Endpoint& endpoint);
// "192.0.2.1:80", "[2001:db8::1]:80"
std::string endpoint_text(const Endpoint& endpoint);

}  // namespace bulkhead::ipc
