// Step 5: the site's (or the dispatcher's) identity, set once: real = effective = saved, and
// only the plan's supplementary groups. Root and ids below the configured minimum are refused
// here too, whatever the configuration said, so a bug upstream cannot produce a root worker.

#include <grp.h>
#include <unistd.h>

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

StepResult check_ids(const Plan& plan) {
    if (plan.uid == 0 || plan.gid == 0) {
        return unexpected(StepError{"refusing uid/gid 0 for " + plan.who});
    }
    if (plan.uid < plan.min_uid || plan.gid < plan.min_gid) {
        return unexpected(StepError{"refusing uid " + std::to_string(plan.uid) + " / gid " +
                                    std::to_string(plan.gid) + " below the configured minimum"});
    }
    return {};
}

StepResult check_took(const Plan& plan) {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) {
        return unexpected(StepError{errno_message("getresuid/getresgid")});
    }
    if (ruid != plan.uid || euid != plan.uid || suid != plan.uid || rgid != plan.gid ||
        egid != plan.gid || sgid != plan.gid) {
        return unexpected(StepError{"identity change did not take"});
    }
    // That the way back is closed is checked by verify_unprivileged(), once the capabilities
    // step has cleared CAP_SETUID (securebits keep it across this step until then).
    return {};
}

}  // namespace

StepResult apply_identity(const Plan& plan) {
    if (auto checked = check_ids(plan); !checked) return checked;
    const std::vector<gid_t>& groups = plan.supplementary_groups;
    if (setgroups(groups.size(), groups.data()) != 0) {
        return unexpected(StepError{errno_message("setgroups")});
    }
    if (setresgid(plan.gid, plan.gid, plan.gid) != 0) {
        return unexpected(StepError{errno_message("setresgid(" + std::to_string(plan.gid) + ")")});
    }
    if (setresuid(plan.uid, plan.uid, plan.uid) != 0) {
        return unexpected(StepError{errno_message("setresuid(" + std::to_string(plan.uid) + ")")});
    }
    return check_took(plan);
}

}  // namespace bulkhead::confine
