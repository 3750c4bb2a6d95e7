#include "master/standby_assignment.hpp"

#include <errno.h>

#include "ipc/master_worker.hpp"
#include "ipc/protocol.hpp"
#include "master/send_message.hpp"

namespace bulkhead::master {
namespace {

bool send_descriptor(int channel, ipc::StandbyDescriptor which, int fd) {
    ipc::StandbyDescriptorMessage message;
    message.which = which;
    return send_message(channel, message, fd);
}

bool send_cgroups(int channel, const confine::Plan& plan) {
    for (const std::string& procs : plan.cgroup_procs) {
        ipc::StandbyCgroup message;
        if (!ipc::set_text(message.procs, procs)) {
            errno = ENAMETOOLONG;
            return false;
        }
        if (!send_message(channel, message))
            return false;
    }
    return true;
}

// The last message: the standby starts its steps once it has this one.
bool send_plan(int channel, const confine::Plan& plan) {
    ipc::StandbyPlan message;
    if (plan.limits.size() > ipc::StandbyPlan::kMaxLimits || !plan.nice ||
        !ipc::set_text(message.private_tmp, plan.namespaces.private_tmp)) {
        errno = EINVAL;
        return false;
    }
    message.protocol = ipc::protocol_fingerprint();
    message.uid = plan.uid;
    message.gid = plan.gid;
    message.min_uid = plan.min_uid;
    message.min_gid = plan.min_gid;
    message.nice = *plan.nice;
    message.limit_count = static_cast<std::uint16_t>(plan.limits.size());
    for (std::size_t i = 0; i < plan.limits.size(); ++i) {
        message.limits[i].resource = static_cast<std::uint32_t>(plan.limits[i].resource);
        message.limits[i].soft = plan.limits[i].soft;
        message.limits[i].hard = plan.limits[i].hard;
    }
    return send_message(channel, message);
}

}  // namespace

bool send_standby_assignment(int channel, const confine::Plan& plan,
                             const RoleDescriptors& descriptors) {
    return send_descriptor(channel, ipc::StandbyDescriptor::error_log, descriptors.log) &&
           send_descriptor(channel, ipc::StandbyDescriptor::dispatcher_channel,
                           descriptors.dispatcher_channel) &&
           send_descriptor(channel, ipc::StandbyDescriptor::access_log, descriptors.access_log) &&
           send_cgroups(channel, plan) && send_plan(channel, plan);
}

}  // namespace bulkhead::master
