#include "worker/standby.hpp"

#include <span>
#include <string>

#include "base/unique_fd.hpp"
#include "confine/step.hpp"
#include "worker/standby_assignment.hpp"

namespace bulkhead::worker {

Expected<void, StandbyFailure> become_site_worker(int master_channel) {
    auto received = receive_standby_assignment(master_channel);
    if (!received)
        return unexpected(received.error());
    StandbyAssignment& assignment = *received;
    std::span<const confine::Step> steps = confine::worker_site_steps();
    auto ran = confine::run_steps(steps, assignment.plan);
    // The descriptors step closed the originals (or put others at their numbers): the
    // handles must not close them again.
    for (UniqueFd& fd : assignment.descriptors)
        (void)fd.release();
    if (!ran) {
        return unexpected(
            StandbyFailure{confine::kStepFailureExitBase + static_cast<int>(ran.error().index),
                           std::string("confinement step ") + ran.error().step +
                               " failed: " + ran.error().error.what});
    }
    if (auto verified = confine::verify_unprivileged(assignment.plan.uid, assignment.plan.gid);
        !verified) {
        return unexpected(StandbyFailure{4, "confinement check failed: " + verified.error().what});
    }
    return {};
}

}  // namespace bulkhead::worker
