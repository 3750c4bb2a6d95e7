#pragma once
// The dispatcher's start-up: everything it will ever know arrives from the master before it
// confines itself. Runs as root, reads only the master's channel, never the network.

#include <vector>

#include "base/expected.hpp"
#include "base/unique_fd.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher/proxy_trust.hpp"
#include "dispatcher/routing_table.hpp"

namespace bulkhead::dispatcher {

// What receive_intake() says when the master was built from other sources.
inline constexpr const char* kOtherBuild =
    "the master speaks another message protocol (not the same build)";

struct Intake {
    Settings settings;
    RoutingTable table;
    std::vector<Listener> listeners;
    ProxyTrust proxy_trust;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string jail_dir;
};

// Reads settings, listeners, sites, hosts and workers until `ready`. An error names what was
// wrong with which message; the dispatcher then exits.
Expected<Intake, std::string> receive_intake(int master_channel);

}  // namespace bulkhead::dispatcher
