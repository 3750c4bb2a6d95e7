#include "master/listeners.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <stdexcept>

#include "base/log.hpp"
#include "ipc/endpoint.hpp"

namespace bulkhead::master {
namespace {

constexpr int kBacklog = 4096;

sockaddr_storage socket_address(const config::ListenAddress& address) {
    sockaddr_storage storage{};
    if (address.family == AF_INET6) {
        auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(address.port);
        inet_pton(AF_INET6, address.address.c_str(), &v6.sin6_addr);
    } else {
        auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
        v4.sin_family = AF_INET;
        v4.sin_port = htons(address.port);
        inet_pton(AF_INET, address.address.c_str(), &v4.sin_addr);
    }
    return storage;
}

void set_option(int fd, int level, int name, int value, const std::string& where) {
    if (setsockopt(fd, level, name, &value, sizeof value) != 0) {
        throw std::runtime_error(where + ": setsockopt: " + log::errno_text(errno));
    }
}

Listener open_one(const config::ListenAddress& address, bool tls, int defer_seconds) {
    const std::string& where = address.text;
    UniqueFd fd(socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        throw std::runtime_error(where + ": socket: " + log::errno_text(errno));
    set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, where);
    if (address.family == AF_INET6)
        set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, where);
    // The kernel holds a connection until its first bytes arrive: the dispatcher's first
    // peek then usually finds the whole head, and idle connections cost it nothing.
    set_option(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, defer_seconds, where);
    sockaddr_storage storage = socket_address(address);
    socklen_t length = address.family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        throw std::runtime_error("cannot listen on " + where + ": " + log::errno_text(errno));
    }
    if (listen(fd.get(), kBacklog) != 0) {
        throw std::runtime_error("cannot listen on " + where + ": " + log::errno_text(errno));
    }
    length = sizeof storage;
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &length);
    ipc::Endpoint endpoint = ipc::endpoint_from(storage);
    return Listener{std::move(fd), tls, ipc::endpoint_text(endpoint), endpoint.port};
}

}  // namespace

std::vector<Listener> open_listeners(const config::ServerConfig& server) {
    int defer_seconds =
        static_cast<int>(std::max<std::uint64_t>(1, server.header_timeout_ms / 1000));
    std::vector<Listener> listeners;
    for (const config::ListenAddress& address : server.listen) {
        listeners.push_back(open_one(address, false, defer_seconds));
    }
    for (const config::ListenAddress& address : server.tls_listen) {
        listeners.push_back(open_one(address, true, defer_seconds));
    }
    return listeners;
}

}  // namespace bulkhead::master
