// A standby worker applies a worker's confinement steps itself, from a plan the master sends it
// as messages (master/standby_assignment.cpp → worker/standby_assignment.cpp). A field of the
// plan that the messages did not carry would leave a standby-made worker less confined than a
// fresh one, silently. These tests send the very plan worker_spawn_request builds and check
// that every field arrives; a field added to confine::Plan breaks their compilation until it
// is compared here (the structured bindings name every member).
//
// They also feed the standby's reader the input a confused or hostile master could send.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>

#include "ipc/channel.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/master_worker.hpp"
#include "ipc/message.hpp"
#include "ipc/protocol.hpp"
#include "master/role_plans.hpp"
#include "master/send_message.hpp"
#include "master/standby_assignment.hpp"
#include "worker/standby_assignment.hpp"

namespace bulkhead {
namespace {

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
    Pipe() {
        int fds[2];
        EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
};

// Whether two descriptors refer to the same open file (the received one is a new number).
bool same_file(int a, int b) {
    struct stat first {
    }, second{};
    return fstat(a, &first) == 0 && fstat(b, &second) == 0 && first.st_dev == second.st_dev &&
           first.st_ino == second.st_ino;
}

class StandbyAssignment : public ::testing::Test {
  protected:
    void SetUp() override {
        auto pair = ipc::make_channel_pair();
        ASSERT_TRUE(pair.has_value());
        master_end = std::move(pair->first);
        standby_end = std::move(pair->second);
        config.server.state_dir = "/var/lib/bulkhead-test";
        config.server.min_site_uid = 40000;
        config.server.min_site_gid = 40000;
        site.name = "alpha";
        site.uid = 40101;
        site.gid = 40102;
        site.limits.pids = 64;
        descriptors.null_device = null_device.read_end.get();
        descriptors.log = error_log.write_end.get();
        descriptors.master_channel = master_end.get();
        descriptors.dispatcher_channel = dispatcher.write_end.get();
        descriptors.access_log = access_log.write_end.get();
        descriptors.executable = null_device.write_end.get();
    }

    confine::Plan worker_plan() {
        return master::worker_spawn_request(config, site, "/usr/sbin/bulkhead-worker", descriptors,
                                            {"/sys/fs/cgroup/memory/bulkhead/alpha/cgroup.procs",
                                             "/sys/fs/cgroup/pids/bulkhead/alpha/cgroup.procs"})
            .plan;
    }

    // Sends one message as the master would, for the refusal tests.
    template <typename Message>
    void send(const Message& message, int fd = -1) {
        ASSERT_TRUE(master::send_message(master_end.get(), message, fd));
    }
    void send_descriptors() {
        for (auto which :
             {ipc::StandbyDescriptor::error_log, ipc::StandbyDescriptor::dispatcher_channel,
              ipc::StandbyDescriptor::access_log}) {
            ipc::StandbyDescriptorMessage message;
            message.which = which;
            send(message, error_log.write_end.get());
        }
    }
    ipc::StandbyPlan valid_plan_message() {
        ipc::StandbyPlan message;
        message.protocol = ipc::protocol_fingerprint();
        message.uid = 40101;
        message.gid = 40102;
        EXPECT_TRUE(ipc::set_text(message.private_tmp, "/var/lib/bulkhead-test/sites/a/tmp"));
        return message;
    }
    worker::StandbyFailure refusal() {
        auto received = worker::receive_standby_assignment(standby_end.get());
        EXPECT_FALSE(received.has_value()) << "the standby took input it should refuse";
        return received ? worker::StandbyFailure{} : received.error();
    }

    UniqueFd master_end, standby_end;
    Pipe null_device, error_log, dispatcher, access_log;
    config::Config config;
    config::SiteConfig site;
    master::RoleDescriptors descriptors;
};

TEST_F(StandbyAssignment, CarriesEveryFieldOfTheWorkersPlan) {
    confine::Plan sent = worker_plan();
    ASSERT_TRUE(master::send_standby_assignment(master_end.get(), sent, descriptors));
    auto received = worker::receive_standby_assignment(standby_end.get());
    ASSERT_TRUE(received.has_value()) << received.error().message;
    const confine::Plan& got = received->plan;

    // Every member, by name: a new one fails to compile here until it is compared.
    const auto& [who, moves, limits, nice, jail_dir, uid, gid, supplementary_groups, min_uid,
                 min_gid, cgroup_procs, namespaces, landlock, syscalls, selinux_context] = sent;
    (void)who;  // for messages only: "worker of site alpha" / "standby worker"
    EXPECT_EQ(got.uid, uid);
    EXPECT_EQ(got.gid, gid);
    EXPECT_EQ(got.min_uid, min_uid);
    EXPECT_EQ(got.min_gid, min_gid);
    EXPECT_EQ(got.supplementary_groups, supplementary_groups);
    EXPECT_EQ(got.nice, nice);
    EXPECT_EQ(got.jail_dir, jail_dir);
    EXPECT_EQ(got.cgroup_procs, cgroup_procs);
    EXPECT_EQ(got.syscalls, syscalls);
    EXPECT_EQ(got.selinux_context, selinux_context);
    ASSERT_EQ(got.limits.size(), limits.size());
    for (std::size_t i = 0; i < limits.size(); ++i) {
        EXPECT_EQ(got.limits[i].resource, limits[i].resource);
        EXPECT_EQ(got.limits[i].soft, limits[i].soft);
        EXPECT_EQ(got.limits[i].hard, limits[i].hard);
    }
    const auto& [ns_enabled, private_tmp, private_proc] = namespaces;
    EXPECT_EQ(got.namespaces.enabled, ns_enabled);
    EXPECT_EQ(got.namespaces.private_tmp, private_tmp);
    EXPECT_EQ(got.namespaces.private_proc, private_proc);
    const auto& [ll_enabled, read_execute, read_only, read_write, devices, restrict_tcp,
                 tcp_connect_ports, scope_signals_and_sockets, require_full] = landlock;
    EXPECT_EQ(got.landlock.enabled, ll_enabled);
    EXPECT_EQ(got.landlock.read_execute, read_execute);
    EXPECT_EQ(got.landlock.read_only, read_only);
    EXPECT_EQ(got.landlock.read_write, read_write);
    EXPECT_EQ(got.landlock.devices, devices);
    EXPECT_EQ(got.landlock.restrict_tcp, restrict_tcp);
    EXPECT_EQ(got.landlock.tcp_connect_ports, tcp_connect_ports);
    EXPECT_EQ(got.landlock.scope_signals_and_sockets, scope_signals_and_sockets);
    EXPECT_EQ(got.landlock.require_full, require_full);

    // The same numbers as a fresh worker's layout, less the executable a standby has already
    // exec'd; the standby keeps its own 0, 1 and master channel, and the rest are the
    // master's descriptors, received.
    std::vector<int> expected_numbers, got_numbers;
    for (const confine::DescriptorMove& move : moves) {
        if (!move.close_on_exec)
            expected_numbers.push_back(move.to);
    }
    for (const confine::DescriptorMove& move : got.descriptors) {
        EXPECT_FALSE(move.close_on_exec);
        got_numbers.push_back(move.to);
    }
    EXPECT_EQ(got_numbers, expected_numbers);
    auto source_of = [&](int number) {
        for (const confine::DescriptorMove& move : got.descriptors) {
            if (move.to == number)
                return move.from;
        }
        return -1;
    };
    EXPECT_EQ(source_of(0), 0);
    EXPECT_EQ(source_of(1), 1);
    EXPECT_EQ(source_of(ipc::fds::kWorkerMaster), ipc::fds::kWorkerMaster);
    EXPECT_TRUE(same_file(source_of(ipc::fds::kWorkerErrorLog), error_log.write_end.get()));
    EXPECT_TRUE(same_file(source_of(ipc::fds::kWorkerDispatcher), dispatcher.write_end.get()));
    EXPECT_TRUE(same_file(source_of(ipc::fds::kWorkerAccessLog), access_log.write_end.get()));
}

TEST_F(StandbyAssignment, CarriesAPlanWithoutAProcessLimit) {
    site.limits.pids.reset();
    confine::Plan sent = worker_plan();
    ASSERT_TRUE(master::send_standby_assignment(master_end.get(), sent, descriptors));
    auto received = worker::receive_standby_assignment(standby_end.get());
    ASSERT_TRUE(received.has_value()) << received.error().message;
    ASSERT_EQ(received->plan.limits.size(), sent.limits.size());
    for (const confine::ResourceLimit& limit : received->plan.limits)
        EXPECT_NE(limit.resource, RLIMIT_NPROC);
}

TEST_F(StandbyAssignment, MasterRefusesAPlanTheMessagesCannotHold) {
    confine::Plan too_many_limits = worker_plan();
    too_many_limits.limits.resize(ipc::StandbyPlan::kMaxLimits + 1);
    EXPECT_FALSE(master::send_standby_assignment(master_end.get(), too_many_limits, descriptors));
    confine::Plan long_cgroup = worker_plan();
    long_cgroup.cgroup_procs.push_back("/" + std::string(5000, 'x'));
    EXPECT_FALSE(master::send_standby_assignment(master_end.get(), long_cgroup, descriptors));
}

TEST_F(StandbyAssignment, RefusesAPlanBeforeItsDescriptors) {
    send(valid_plan_message());
    worker::StandbyFailure failure = refusal();
    EXPECT_EQ(failure.exit_status, 3);
    EXPECT_NE(failure.message.find("before all three descriptors"), std::string::npos)
        << failure.message;
}

TEST_F(StandbyAssignment, RefusesADescriptorSentTwice) {
    ipc::StandbyDescriptorMessage message;
    message.which = ipc::StandbyDescriptor::access_log;
    send(message, error_log.write_end.get());
    send(message, error_log.write_end.get());
    EXPECT_NE(refusal().message.find("repeated descriptor"), std::string::npos);
}

TEST_F(StandbyAssignment, RefusesADescriptorMessageWithoutADescriptor) {
    ipc::StandbyDescriptorMessage message;
    send(message);
    EXPECT_EQ(refusal().exit_status, 3);
}

TEST_F(StandbyAssignment, RefusesAnUnknownDescriptorSlot) {
    ipc::StandbyDescriptorMessage message;
    message.which = static_cast<ipc::StandbyDescriptor>(9);
    send(message, error_log.write_end.get());
    EXPECT_NE(refusal().message.find("bad or repeated descriptor"), std::string::npos);
}

TEST_F(StandbyAssignment, RefusesARelativeCgroupPath) {
    ipc::StandbyCgroup message;
    ASSERT_TRUE(ipc::set_text(message.procs, "pids/alpha/cgroup.procs"));
    send(message);
    EXPECT_NE(refusal().message.find("bad cgroup"), std::string::npos);
}

TEST_F(StandbyAssignment, RefusesMoreCgroupsThanHierarchies) {
    ipc::StandbyCgroup message;
    ASSERT_TRUE(ipc::set_text(message.procs, "/sys/fs/cgroup/pids/alpha/cgroup.procs"));
    for (int i = 0; i < 9; ++i)
        send(message);
    EXPECT_NE(refusal().message.find("bad cgroup"), std::string::npos);
}

TEST_F(StandbyAssignment, RefusesARelativePrivateTmp) {
    send_descriptors();
    ipc::StandbyPlan message = valid_plan_message();
    ASSERT_TRUE(ipc::set_text(message.private_tmp, "tmp"));
    send(message);
    EXPECT_NE(refusal().message.find("bad plan"), std::string::npos);
}

TEST_F(StandbyAssignment, RefusesMoreLimitsThanTheMessageHolds) {
    send_descriptors();
    ipc::StandbyPlan message = valid_plan_message();
    message.limit_count = ipc::StandbyPlan::kMaxLimits + 1;
    send(message);
    EXPECT_NE(refusal().message.find("bad plan"), std::string::npos);
}

TEST_F(StandbyAssignment, ExitsAsAnotherBuildOnAnotherProtocol) {
    send_descriptors();
    ipc::StandbyPlan message = valid_plan_message();
    message.protocol ^= 1;
    send(message);
    EXPECT_EQ(refusal().exit_status, ipc::kExitOtherBuild);
}

TEST_F(StandbyAssignment, RefusesAMessageOfAnotherKind) {
    ipc::WorkerReady message;
    send(message);
    EXPECT_NE(refusal().message.find("unexpected message"), std::string::npos);
}

TEST_F(StandbyAssignment, EndsWhenTheMasterIsGone) {
    master_end.reset();
    worker::StandbyFailure failure = refusal();
    EXPECT_EQ(failure.exit_status, 3);
    EXPECT_NE(failure.message.find("master channel"), std::string::npos) << failure.message;
}

}  // namespace
}  // namespace bulkhead
