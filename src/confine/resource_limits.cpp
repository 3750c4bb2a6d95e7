// Step 4: resource limits, the last line behind cgroups (which come in a later step file), and
// the scheduling priority where the plan names one (a standby waits at the lowest; the worker it
// becomes runs at the master's).
// A limit above the current hard limit is raised only where the host allows it (root without
// CAP_SYS_RESOURCE, as in some containers, may not); otherwise the current hard limit stays,
// which is never less safe than the plan: limits here only ever tighten.

#include <errno.h>
#include <sys/resource.h>

#include <algorithm>

#include "confine/step.hpp"

namespace bulkhead::confine {

StepResult apply_resource_limits(const Plan& plan) {
    for (const ResourceLimit& limit : plan.limits) {
        struct rlimit wanted {
            limit.soft, limit.hard
        };
        if (setrlimit(limit.resource, &wanted) == 0)
            continue;
        struct rlimit current {};
        if (errno != EPERM || getrlimit(limit.resource, &current) != 0) {
            return unexpected(
                StepError{errno_message("setrlimit(" + std::to_string(limit.resource) + ")")});
        }
        struct rlimit clamped {
            std::min(limit.soft, current.rlim_max), std::min(limit.hard, current.rlim_max)
        };
        if (setrlimit(limit.resource, &clamped) != 0) {
            return unexpected(
                StepError{errno_message("setrlimit(" + std::to_string(limit.resource) + ")")});
        }
    }
    if (plan.nice && setpriority(PRIO_PROCESS, 0, *plan.nice) != 0)
        return unexpected(
            StepError{errno_message("setpriority(" + std::to_string(*plan.nice) + ")")});
    return {};
}

}  // namespace bulkhead::confine
