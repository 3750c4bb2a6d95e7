#pragma once
// A standby worker (server.standby_workers): executed by the master before any site needed
// it, so that a cold site's first request does not wait for fork, exec and the dynamic loader.
// It runs as root with nothing but its channel to the master, its standard descriptors and the
// server log; it reads nothing until the master gives it a site. It then applies the very steps
// the master's child applies before exec for a freshly started worker (confine::
// worker_site_steps), and from there on it is an ordinary worker of that site.

#include "base/expected.hpp"
#include "worker/standby_assignment.hpp"

namespace bulkhead::worker {

// Waits for the site (StandbyCgroup…, StandbyDescriptorMessage × 3, StandbyPlan), then confines
// this process to it. On success the process has the site's identity and the worker's
// descriptor layout (ipc/fd_numbers.hpp), exactly as if the master's child had exec'd it.
Expected<void, StandbyFailure> become_site_worker(int master_channel);

}  // namespace bulkhead::worker
