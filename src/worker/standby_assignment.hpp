#pragma once
// How a standby worker reads the site the master gives it (master/standby_assignment.hpp):
// the three descriptors a freshly started worker would have inherited, the cgroups to join
// and the rest of the confinement plan, checked as input from another process.

#include <array>
#include <string>

#include "base/expected.hpp"
#include "base/unique_fd.hpp"
#include "confine/step.hpp"

namespace bulkhead::worker {

struct StandbyFailure {
    int exit_status = 3;  // confine::kStepFailureExitBase + step, or ipc::kExitOtherBuild, or 3
    std::string message;
};

struct StandbyAssignment {
    // The worker's steps 1–6 (confine::worker_site_steps) for this site. Its descriptor
    // layout puts the received descriptors below at the worker's numbers (ipc/fd_numbers.hpp)
    // and keeps the standby's own 0, 1 and master channel.
    confine::Plan plan;
    std::array<UniqueFd, 3> descriptors;  // error log, dispatcher channel, access log
};

// Waits, without a time limit, until the plan (the last message) has arrived.
Expected<StandbyAssignment, StandbyFailure> receive_standby_assignment(int master_channel);

}  // namespace bulkhead::worker
