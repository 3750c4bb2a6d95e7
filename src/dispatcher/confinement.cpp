#include "dispatcher/confinement.hpp"

#include "confine/step.hpp"

namespace bulkhead::dispatcher {

Expected<void, std::string> confine_dispatcher(const Intake& intake) {
    confine::Plan plan;
    plan.who = "dispatcher";
    plan.jail_dir = intake.jail_dir;  // an empty directory: the dispatcher opens no file
    plan.uid = intake.uid;            // server.user, which owns no site
    plan.gid = intake.gid;
    // Descriptors were arranged by the master's child before exec; resource limits too.
    static constexpr confine::Step kSteps[] = {
        {"jail", confine::apply_jail},                  // needs CAP_SYS_CHROOT: first
        {"bounding set", confine::apply_bounding_set},  // needs CAP_SETPCAP: before identity
        {"identity", confine::apply_identity},
        {"capabilities", confine::apply_capabilities},
    };
    if (auto ran = confine::run_steps(kSteps, plan); !ran) {
        return unexpected(std::string(ran.error().step) + ": " + ran.error().error.what);
    }
    if (auto verified = confine::verify_unprivileged(plan.uid, plan.gid); !verified) {
        return unexpected("verification: " + verified.error().what);
    }
    return {};
}

}  // namespace bulkhead::dispatcher
