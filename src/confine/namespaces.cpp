// Step 3: the site's own mount namespace, with a private /tmp (its directory under
// state_dir, bind-mounted) and a /proc of its own mounted with hidepid=invisible: every site is
// its own uid, so the site sees its own processes and no one else's, bulkhead's included.
// Runs as root, before the identity step.

#include <sched.h>
#include <sys/mount.h>

#include "confine/step.hpp"

namespace bulkhead::confine {

StepResult apply_namespaces(const Plan& plan) {
    const NamespacePlan& namespaces = plan.namespaces;
    if (!namespaces.enabled) return {};
    if (unshare(CLONE_NEWNS) != 0) return unexpected(StepError{errno_message("unshare(CLONE_NEWNS)")});
    // Nothing we mount here may propagate back to the host's mount table.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return unexpected(StepError{errno_message("mount(/, MS_PRIVATE)")});
    }
    if (!namespaces.private_tmp.empty() &&
        mount(namespaces.private_tmp.c_str(), "/tmp", nullptr, MS_BIND | MS_NOSUID | MS_NODEV, nullptr) != 0) {
        return unexpected(StepError{errno_message("bind " + namespaces.private_tmp + " on /tmp")});
    }
    if (namespaces.private_proc &&
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") != 0) {
        return unexpected(StepError{errno_message("mount(/proc, hidepid=invisible)")});
    }
    return {};
}

}  // namespace bulkhead::confine
