#include "dispatcher/confinement.hpp"

#include "confine/step.hpp"

namespace bulkhead::dispatcher {

Expected<void, std::string> confine_dispatcher(const Intake& intake) {
    confine::Plan plan;
    plan.who = "dispatcher";
    plan.jail_dir = intake.jail_dir;  // an empty directory: the dispatcher opens no file
    plan.uid = intake.uid;            // server.user, which owns no site
    plan.gid = intake.gid;
    // Landlock with every file right handled and none granted: the dispatcher opens no file.
    plan.landlock.enabled = true;
    plan.syscalls = confine::SyscallPolicy::dispatcher_allowlist;
    // Descriptors were arranged by the master's child before exec; resource limits too.
    static constexpr confine::Step kSteps[] = {
        {"jail", confine::apply_jail},                  // needs CAP_SYS_CHROOT: first
        {"bounding set", confine::apply_bounding_set},  // needs CAP_SETPCAP: before identity
        {"identity", confine::apply_identity},
        {"capabilities", confine::apply_capabilities},
        {"verification", confine::apply_verification},  // before seccomp forbids its probes
        {"landlock", confine::apply_landlock},
        {"seccomp", confine::apply_seccomp},  // last: the calls above are not on its list
    };
    if (auto ran = confine::run_steps(kSteps, plan); !ran) {
        return unexpected(std::string(ran.error().step) + ": " + ran.error().error.what);
    }
    return {};
}

}  // namespace bulkhead::dispatcher
