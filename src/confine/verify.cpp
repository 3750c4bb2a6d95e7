// Read back what the steps promised, from the kernel rather than from our own bookkeeping.
// Syscalls only, so it works inside the dispatcher's empty chroot where /proc is absent.

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

StepResult verify_ids(uid_t uid, gid_t gid) {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    getresuid(&ruid, &euid, &suid);
    getresgid(&rgid, &egid, &sgid);
    if (ruid != uid || euid != uid || suid != uid)
        return unexpected(StepError{"uids are not the plan's"});
    if (rgid != gid || egid != gid || sgid != gid)
        return unexpected(StepError{"gids are not the plan's"});
    if (uid == 0 || gid == 0)
        return unexpected(StepError{"running as root"});
    gid_t groups[64];
    int count = getgroups(64, groups);
    if (count < 0)
        return unexpected(StepError{"more supplementary groups than expected"});
    for (int i = 0; i < count; ++i) {
        if (groups[i] == 0)
            return unexpected(StepError{"member of group 0"});
    }
    return {};
}

StepResult verify_capabilities() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capget, &header, data) != 0)
        return unexpected(StepError{errno_message("capget")});
    for (const auto& word : data) {
        if (word.effective || word.permitted || word.inheritable) {
            return unexpected(StepError{"a capability set is not empty"});
        }
    }
    // PR_CAPBSET_READ fails past the kernel's last capability: that ends the walk.
    for (int capability = 0;; ++capability) {
        int in_bounding_set = prctl(PR_CAPBSET_READ, capability, 0, 0, 0);
        if (in_bounding_set < 0)
            break;
        if (in_bounding_set == 1) {
            return unexpected(StepError{"the bounding set is not empty"});
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, capability, 0, 0) == 1) {
            return unexpected(StepError{"an ambient capability is set"});
        }
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        return unexpected(StepError{"no_new_privs is not set"});
    return {};
}

}  // namespace

// The way back must be closed: becoming root again has to fail.
StepResult verify_no_way_back() {
    if (setresgid(0, 0, 0) == 0 || setresuid(0, 0, 0) == 0 || setgroups(0, nullptr) == 0) {
        return unexpected(StepError{"could regain root"});
    }
    return {};
}

StepResult verify_unprivileged(uid_t uid, gid_t gid) {
    if (auto ids = verify_ids(uid, gid); !ids)
        return ids;
    if (auto capabilities = verify_capabilities(); !capabilities)
        return capabilities;
    return verify_no_way_back();
}

StepResult apply_verification(const Plan& plan) {
    return verify_unprivileged(plan.uid, plan.gid);
}

}  // namespace bulkhead::confine
