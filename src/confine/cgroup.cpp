// Step 2: join the site's cgroups (memory, pids, CPU weight), which the master created
// beneath the cgroup bulkhead was started in and configured (master/cgroups.cpp). Writing our
// own pid to each cgroup.procs moves this process, and everything it will start, into them.

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/unique_fd.hpp"
#include "confine/step.hpp"

namespace bulkhead::confine {

StepResult apply_cgroup(const Plan& plan) {
    std::string pid = std::to_string(getpid());
    for (const std::string& procs : plan.cgroup_procs) {
        UniqueFd fd(open(procs.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd || write(fd.get(), pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
            return unexpected(StepError{errno_message("join " + procs)});
        }
    }
    return {};
}

}  // namespace bulkhead::confine
