#include "worker/standby_assignment.hpp"

#include <unistd.h>

#include <optional>
#include <vector>

#include "ipc/channel.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/master_worker.hpp"
#include "ipc/protocol.hpp"

namespace bulkhead::worker {
namespace {

using ipc::MasterWorkerType;

// One per controller hierarchy, and a few to spare; more means a confused or hostile master.
constexpr std::size_t kMaxCgroups = 8;

StandbyFailure malformed(const std::string& what) {
    return StandbyFailure{3, "assignment from the master: " + what};
}

// The slot of StandbyAssignment::descriptors a standby_descriptor message fills.
std::optional<std::size_t> slot_of(ipc::StandbyDescriptor which) {
    switch (which) {
        case ipc::StandbyDescriptor::error_log:
            return 0;
        case ipc::StandbyDescriptor::dispatcher_channel:
            return 1;
        case ipc::StandbyDescriptor::access_log:
            return 2;
    }
    return std::nullopt;  // a value no build of ours sends
}

Expected<void, StandbyFailure> apply_plan_message(StandbyAssignment& assignment,
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

}  // namespace

Expected<StandbyAssignment, StandbyFailure> receive_standby_assignment(int master_channel) {
    StandbyAssignment assignment;
    assignment.plan.who = "standby worker";
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
            auto slot = message ? slot_of(message->which) : std::nullopt;
            if (!slot || assignment.descriptors[*slot])
                return unexpected(malformed("bad or repeated descriptor"));
            assignment.descriptors[*slot] = std::move(datagram->fd);
        } else if (type == MasterWorkerType::standby_plan) {
            auto message = ipc::decode<ipc::StandbyPlan>(bytes, has_fd);
            if (!message)
                return unexpected(malformed("bad plan"));
            if (auto applied = apply_plan_message(assignment, *message); !applied)
                return unexpected(applied.error());
            return assignment;
        } else {
            return unexpected(malformed("unexpected message"));
        }
    }
}

}  // namespace bulkhead::worker
