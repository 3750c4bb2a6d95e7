#pragma once
// The listening sockets: opened by the master (binding low ports needs root), held by it for
// the server's whole life so a dispatcher restart refuses no connection, and passed to the
// dispatcher, which alone accepts on them.

#include <cstdint>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "config/model.hpp"

namespace bulkhead::master {

struct Listener {
    UniqueFd socket;
    bool tls = false;        // from server.tls_listen: the dispatcher routes by SNI
    std::string bound;       // "127.0.0.1:8080", with the real port when the configuration said 0
    std::uint16_t port = 0;  // the real port
};

// Opens every address of server.listen, then of server.tls_listen. Throws std::runtime_error
// with a message naming the address on failure (port in use, no such address).
std::vector<Listener> open_listeners(const config::ServerConfig& server);

}  // namespace bulkhead::master
