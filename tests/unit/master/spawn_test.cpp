// spawn_role and describe_exit: a child that fails a confinement step exits with its list's
// base plus the step's index, and the master names the step from that status alone, also for a
// worker that was a standby given its site while its own (standby) steps were still running.

#include "master/spawn.hpp"

#include <sys/wait.h>

#include <gtest/gtest.h>

namespace bulkhead::master {
namespace {

confine::StepResult pass(const confine::Plan&) {
    return {};
}
confine::StepResult fail(const confine::Plan&) {
    return unexpected(confine::StepError{"refused on purpose"});
}

constexpr confine::Step kFailsSecond[] = {{"first", pass}, {"second", fail}, {"third", pass}};
constexpr confine::Step kWorkerLike[] = {
    {"descriptors", pass}, {"cgroups", pass}, {"namespaces", pass}};
constexpr confine::Step kStandbyLike[] = {{"descriptors", pass}, {"resource limits", pass}};

int wait_for(pid_t pid) {
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    return status;
}

int exit_status(int code) {
    return (code & 0xff) << 8;  // as waitpid reports a normal exit
}

TEST(Spawn, AFailedStepExitsWithItsListsBasePlusItsIndex) {
    for (int base : {kStepFailureBase, kStandbyStepFailureBase}) {
        SpawnRequest request;
        request.executable = "/nonexistent";
        request.plan.who = "test child";
        request.steps = kFailsSecond;
        request.step_exit_base = base;
        auto pid = spawn_role(request);
        ASSERT_TRUE(pid.has_value()) << pid.error();
        int status = wait_for(*pid);
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), base + 1);
        EXPECT_EQ(describe_exit(status, {{kFailsSecond, base}}),
                  "failed confinement step 'second'");
    }
}

TEST(Spawn, WorkerExitNamesTheStepOfTheListItCameFrom) {
    std::initializer_list<StepList> lists = {
        {kWorkerLike}, {kStandbyLike, kStandbyStepFailureBase, "standby confinement step"}};
    EXPECT_EQ(describe_exit(exit_status(kStepFailureBase + 1), lists),
              "failed confinement step 'cgroups'");
    EXPECT_EQ(describe_exit(exit_status(kStandbyStepFailureBase + 1), lists),
              "failed standby confinement step 'resource limits'");
    // Past the end of either list: a plain exit status.
    EXPECT_EQ(describe_exit(exit_status(kStepFailureBase + 3), lists), "exited with status 103");
    EXPECT_EQ(describe_exit(exit_status(3), lists), "exited with status 3");
    EXPECT_EQ(describe_exit(exit_status(kExecFailure), lists), "could not execute its program");
    EXPECT_EQ(describe_exit(SIGKILL, lists), "killed by signal 9 (Killed)");
}

TEST(Spawn, StepListsDoNotOverlap) {
    // A standby's steps must fit below the exec failure status and above the worker's.
    EXPECT_GE(kStandbyStepFailureBase, kStepFailureBase + 16);
    EXPECT_LT(kStandbyStepFailureBase + 4, kExecFailure);
}

TEST(Spawn, AMissingExecutableIsAnExecFailure) {
    SpawnRequest request;
    request.executable = "/nonexistent";
    request.plan.who = "test child";
    auto pid = spawn_role(request);  // no executable descriptor at fds::kExecutable
    ASSERT_TRUE(pid.has_value()) << pid.error();
    int status = wait_for(*pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), kExecFailure);
}

}  // namespace
}  // namespace bulkhead::master
