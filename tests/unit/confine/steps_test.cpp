// The confinement steps applied for real, each in a forked child (they cannot be undone).
// Tests that need root skip with a reason otherwise.

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

// Runs `body` in a child; the child's exit status 0 means every check in it held.
int in_child(const std::function<int()>& body) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Plan site_plan() {
    Plan plan;
    plan.who = "test site";
    plan.uid = 40101;
    plan.gid = 40101;
    plan.min_uid = 1000;
    plan.min_gid = 1000;
    return plan;
}

constexpr Step kDropSteps[] = {
    {"bounding set", apply_bounding_set},
    {"identity", apply_identity},
    {"capabilities", apply_capabilities},
};

#define REQUIRE_ROOT() \
    if (geteuid() != 0) GTEST_SKIP() << "needs root: switches users and drops capabilities for real"

TEST(Steps, DropLeavesNoWayBackToRoot) {
    REQUIRE_ROOT();
    int status = in_child([] {
        Plan plan = site_plan();
        if (!run_steps(kDropSteps, plan)) return 1;
        if (!verify_unprivileged(40101, 40101)) return 2;
        if (setresuid(0, 0, 0) == 0 || setuid(0) == 0 || seteuid(0) == 0) return 3;
        if (setgid(0) == 0 || setgroups(0, nullptr) == 0) return 4;
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 5;
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return 6;
        return 0;
    });
    EXPECT_EQ(status, 0);
}

TEST(Steps, IdentityRefusesRootAndIdsBelowTheMinimum) {
    REQUIRE_ROOT();
    struct Case {
        const char* name;
        uid_t uid;
        gid_t gid;
    };
    for (Case c : {Case{"uid 0", 0, 40101}, Case{"gid 0", 40101, 0}, Case{"uid below minimum", 999, 40101},
                   Case{"gid below minimum", 40101, 999}}) {
        int status = in_child([&] {
            Plan plan = site_plan();
            plan.uid = c.uid;
            plan.gid = c.gid;
            return apply_identity(plan) ? 1 : 0;
        });
        EXPECT_EQ(status, 0) << c.name;
    }
}

TEST(Steps, VerifyNoticesAProcessThatStillHoldsCapabilities) {
    REQUIRE_ROOT();
    int status = in_child([] {
        Plan plan = site_plan();
        constexpr Step kIdentityOnly[] = {{"bounding set", apply_bounding_set}, {"identity", apply_identity}};
        if (!run_steps(kIdentityOnly, plan)) return 1;
        // The securebits keep CAP_SETUID across the uid change until the capabilities step.
        return verify_unprivileged(40101, 40101) ? 2 : 0;
    });
    EXPECT_EQ(status, 0);
}

TEST(Steps, DescriptorsKeepOnlyTheLayout) {
    int status = in_child([] {
        int keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int stray = open("/dev/null", O_RDONLY);  // not close-on-exec, not in the plan
        int high = fcntl(keep, F_DUPFD, 40);
        Plan plan;
        plan.descriptors = {{keep, 3}, {2, 2}, {0, 0}, {1, 1}};
        if (!apply_descriptors(plan)) return 1;
        if (fcntl(3, F_GETFD) < 0) return 2;                   // placed
        if (fcntl(3, F_GETFD) & FD_CLOEXEC) return 3;          // and inheritable
        if (stray != 3 && fcntl(stray, F_GETFD) >= 0) return 4;  // closed
        if (fcntl(high, F_GETFD) >= 0) return 5;               // closed
        return 0;
    });
    EXPECT_EQ(status, 0);
}

TEST(Steps, DescriptorsSwapWithoutClobbering) {
    int status = in_child([] {
        int a = open("/dev/null", O_RDONLY);
        int b = open("/dev/zero", O_RDONLY);
        int low_a = fcntl(a, F_DUPFD, 3), low_b = fcntl(b, F_DUPFD, 3);
        close(a);
        close(b);
        // Ask for a crossing: what sits at low_a goes to low_b's number and back.
        Plan plan;
        plan.descriptors = {{low_a, low_b}, {low_b, low_a}};
        if (!apply_descriptors(plan)) return 1;
        char byte = 1;
        if (read(low_a, &byte, 1) != 1 || byte != 0) return 2;  // now /dev/zero
        if (read(low_b, &byte, 1) != 0) return 3;               // now /dev/null
        return 0;
    });
    EXPECT_EQ(status, 0);
}

TEST(Steps, RunStepsNamesTheStepThatFailed) {
    constexpr Step kFailing[] = {
        {"fine", [](const Plan&) -> StepResult { return {}; }},
        {"broken", [](const Plan&) -> StepResult { return unexpected(StepError{"no"}); }},
    };
    auto result = run_steps(kFailing, Plan{});
    ASSERT_FALSE(result);
    EXPECT_STREQ(result.error().step, "broken");
    EXPECT_EQ(result.error().error.what, "no");
}

}  // namespace
}  // namespace bulkhead::confine
