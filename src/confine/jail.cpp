// The dispatcher's root: an empty directory, so that even a compromised dispatcher names no
// file. chroot needs CAP_SYS_CHROOT, so this runs before the identity step.

#include <sys/stat.h>
#include <unistd.h>

#include "confine/step.hpp"

namespace bulkhead::confine {

StepResult apply_jail(const Plan& plan) {
    if (plan.jail_dir.empty()) return {};
    if (chroot(plan.jail_dir.c_str()) != 0) {
        return unexpected(StepError{errno_message("chroot(" + plan.jail_dir + ")")});
    }
    if (chdir("/") != 0) return unexpected(StepError{errno_message("chdir(/)")});
    return {};
}

}  // namespace bulkhead::confine
