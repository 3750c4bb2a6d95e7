#pragma once
// The worker's start-up: its site's settings arrive from the master before it serves.

#include <string>

#include "base/expected.hpp"
#include "ipc/master_worker.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

// The error of receive_site() when the master speaks another protocol (another build).
inline constexpr const char* kOtherBuild =
    "the master is from another build (its messages differ from this worker's)";

// Reads settings, hosts and index names until `ready`; opens nothing.
Expected<Site, std::string> receive_site(int master_channel);

// A session-ticket key as the master sent it (at start-up and at each rotation).
TicketKey ticket_key_of(const ipc::WorkerTicketKey& message);

}  // namespace bulkhead::worker
