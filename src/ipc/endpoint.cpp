#include "ipc/endpoint.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace bulkhead::ipc {

Endpoint endpoint_from(const sockaddr_storage& address) {
    Endpoint endpoint;
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        endpoint.family = 4;
        endpoint.port = ntohs(v4.sin_port);
        std::memcpy(endpoint.address, &v4.sin_addr, 4);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        endpoint.family = 6;
        endpoint.port = ntohs(v6.sin6_port);
        std::memcpy(endpoint.address, &v6.sin6_addr, 16);
    }
    return endpoint;
}

std::string address_text(const Endpoint& endpoint) {
    char text[INET6_ADDRSTRLEN] = "-";
    if (endpoint.family == 4) inet_ntop(AF_INET, endpoint.address, text, sizeof text);
    if (endpoint.family == 6) inet_ntop(AF_INET6, endpoint.address, text, sizeof text);
    return text;
}

std::string endpoint_text(const Endpoint& endpoint) {
    std::string address = address_text(endpoint);
    if (endpoint.family == 6) address = "[" + address + "]";
    return address + ":" + std::to_string(endpoint.port);
}

}  // namespace bulkhead::ipc
