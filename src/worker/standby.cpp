#include "worker/standby.hpp"

#include <unistd.h>

#include <array>
#include <vector>

#include "base/unique_fd.hpp"
#include "confine/step.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/master_worker.hpp"
#include "ipc/protocol.hpp"

namespace bulkhead::worker {
namespace {

using ipc::MasterWorkerType;

// One per controller hierarchy, and a few to spare; more means a confused or hostile master.
constexpr std::size_t kMaxCgroups = 8;

// What the master sends before the plan, kept until the steps have placed it.
struct Assignment {
    confine::Plan plan;
    std::array<UniqueFd, 3> descriptors;  // error log, dispatcher channel, access log
};

StandbyFailure malformed(const std::string& what) {
    return StandbyFailure{3, "assignment from the master: " + what};
}

// The descriptor slot a standby_descriptor message fills, and the number it goes to.
struct Placement {
    std::size_t slot;
    int number;
};

std::optional<Placement> placement_of(ipc::StandbyDescriptor which) {
    switch (which) {
        case ipc::StandbyDescriptor::error_log:
            return Placement{0, ipc::fds::kWorkerErrorLog};
        case ipc::StandbyDescriptor::dispatcher_channel:
            return Placement{1, ipc::fds::kWorkerDispatcher};
        case ipc::StandbyDescriptor::access_log:
            return Placement{2, ipc::fds::kWorkerAccessLog};
    }
    return std::nullopt;
}

Expected<void, StandbyFailure> apply_plan_message(Assignment& assignment,
                                                  const ipc::StandbyPlan& message) {
    if (message.protocol != ipc::protocol_fingerprint())
        return unexpected(StandbyFailure{ipc::kExitOtherBuild, "the master is from another build"});
    auto private_tmp = ipc::get_text(message.private_tmp);
    if (!private_tmp || private_tmp->empty() || (*private_tmp)[0] != '/' ||
        message.limit_count > ipc::StandbyPlan::kMaxLimits) {
        return unexpected(malformed("bad plan"));
    }
    for (const UniqueFd& fd : assignment.descriptors) {
        if (!fd)
            return unexpected(malformed("the plan came before all three descriptors"));
    }
    confine::Plan& plan = assignment.plan;
    plan.uid = message.uid;
    plan.gid = message.gid;
    plan.min_uid = message.min_uid;
    plan.min_gid = message.min_gid;
    plan.nice = message.nice;
    for (std::uint16_t i = 0; i < message.limit_count; ++i) {
        const ipc::StandbyPlan::Limit& limit = message.limits[i];
        plan.limits.push_back({static_cast<int>(limit.resource), limit.soft, limit.hard});
    }
    plan.namespaces.enabled = true;
    plan.namespaces.private_tmp = std::string(*private_tmp);
    // The worker's layout (fds 0–5); everything else, including the originals, is closed.
    plan.descriptors = {{STDIN_FILENO, 0},
                        {STDOUT_FILENO, 1},
                        {assignment.descriptors[0].get(), ipc::fds::kWorkerErrorLog},
                        {ipc::fds::kWorkerMaster, ipc::fds::kWorkerMaster},
                        {assignment.descriptors[1].get(), ipc::fds::kWorkerDispatcher},
                        {assignment.descriptors[2].get(), ipc::fds::kWorkerAccessLog}};
    return {};
}

// Reads the assignment; returns once the plan (its last message) has arrived.
Expected<void, StandbyFailure> receive_assignment(int master_channel, Assignment& assignment) {
    std::vector<std::byte> buffer(sizeof(ipc::StandbyPlan) + 64);
    for (;;) {
        // No time limit: a standby waits as long as no site needs it.
        auto datagram = ipc::receive_datagram_waiting(master_channel, buffer, -1);
        if (!datagram) {
            return unexpected(StandbyFailure{
                3, std::string("master channel: ") + ipc::describe(datagram.error())});
        }
        std::span<const std::byte> bytes(buffer.data(), datagram->size);
        bool has_fd = datagram->fd.valid();
        auto type = ipc::peek_type(bytes, MasterWorkerType::end_).value_or(MasterWorkerType::end_);
        if (type == MasterWorkerType::standby_cgroup) {
            auto message = ipc::decode<ipc::StandbyCgroup>(bytes, has_fd);
            auto procs = message ? ipc::get_text(message->procs) : std::nullopt;
            if (!procs || procs->empty() || (*procs)[0] != '/' ||
                assignment.plan.cgroup_procs.size() == kMaxCgroups) {
                return unexpected(malformed("bad cgroup"));
            }
            assignment.plan.cgroup_procs.emplace_back(*procs);
        } else if (type == MasterWorkerType::standby_descriptor) {
            auto message = ipc::decode<ipc::StandbyDescriptorMessage>(bytes, has_fd);
            auto placement = message ? placement_of(message->which) : std::nullopt;
            if (!placement || assignment.descriptors[placement->slot])
                return unexpected(malformed("bad or repeated descriptor"));
            assignment.descriptors[placement->slot] = std::move(datagram->fd);
        } else if (type == MasterWorkerType::standby_plan) {
            auto message = ipc::decode<ipc::StandbyPlan>(bytes, has_fd);
            if (!message)
                return unexpected(malformed("bad plan"));
            return apply_plan_message(assignment, *message);
        } else {
            return unexpected(malformed("unexpected message"));
        }
    }
}

}  // namespace

Expected<void, StandbyFailure> become_site_worker(int master_channel) {
    Assignment assignment;
    assignment.plan.who = "standby worker";
    if (auto received = receive_assignment(master_channel, assignment); !received)
        return received;
    std::span<const confine::Step> steps = confine::worker_site_steps();
    auto ran = confine::run_steps(steps, assignment.plan);
    // The descriptors step closed the originals (or put others at their numbers): the
    // handles must not close them again.
    for (UniqueFd& fd : assignment.descriptors)
        (void)fd.release();
    if (!ran) {
        return unexpected(
            StandbyFailure{confine::kStepFailureExitBase + static_cast<int>(ran.error().index),
                           std::string("confinement step ") + ran.error().step +
                               " failed: " + ran.error().error.what});
    }
    if (auto verified = confine::verify_unprivileged(assignment.plan.uid, assignment.plan.gid);
        !verified) {
        return unexpected(StandbyFailure{4, "confinement check failed: " + verified.error().what});
    }
    return {};
}

}  // namespace bulkhead::worker
