// Step 7: the site's SELinux context, where SELinux is enabled and the site names one. The
// context is set the way setcon(3) sets it, by writing to the process's attr/current; no
// library is needed for that. Detection is at run time: the kernel may have SELinux compiled
// in but not enabled (no selinuxfs mounted), which is the same as not having it.

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "base/unique_fd.hpp"
#include "confine/step.hpp"

namespace bulkhead::confine {

bool selinux_enabled() {
    std::ifstream mounts("/proc/self/mountinfo");
    for (std::string line; std::getline(mounts, line);) {
        if (line.find(" - selinuxfs ") != std::string::npos) return true;
    }
    return false;
}

StepResult apply_selinux(const Plan& plan) {
    if (plan.selinux_context.empty()) return {};
    if (!selinux_enabled()) {
        return unexpected(StepError{"the site asks for SELinux context " + plan.selinux_context +
                                    ", but SELinux is not enabled on this host"});
    }
    UniqueFd current(open("/proc/thread-self/attr/current", O_WRONLY | O_CLOEXEC));
    const std::string& context = plan.selinux_context;
    if (!current || write(current.get(), context.data(), context.size()) != static_cast<ssize_t>(context.size())) {
        return unexpected(StepError{errno_message("setcon(" + context + ")")});
    }
    return {};
}

}  // namespace bulkhead::confine
