#pragma once
// The worker's start-up: its site's settings arrive from the master before it serves.

#include <string>

#include "base/expected.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

// Reads settings, hosts and index names until `ready`; opens nothing.
Expected<Site, std::string> receive_site(int master_channel);

}  // namespace bulkhead::worker
