// Step 1: the role inherits exactly the descriptors of its plan, at fixed numbers, and nothing
// else of the master's (other sites' logs, keys, channels, listening sockets).

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "confine/step.hpp"

namespace bulkhead::confine {
namespace {

// Moves every source out of the target range first, so that a later dup2 cannot overwrite a
// source that happens to sit on another entry's target number.
StepResult lift_sources(std::vector<DescriptorMove>& moves, int lowest_free) {
    for (DescriptorMove& move : moves) {
        int lifted = fcntl(move.from, F_DUPFD, lowest_free);
        if (lifted < 0) return unexpected(StepError{errno_message("fcntl(F_DUPFD)")});
        move.from = lifted;
    }
    return {};
}

StepResult place(const std::vector<DescriptorMove>& moves) {
    for (const DescriptorMove& move : moves) {
        // dup2 clears close-on-exec on the target: exactly the descriptors we mean to pass.
        if (dup2(move.from, move.to) < 0) return unexpected(StepError{errno_message("dup2")});
        if (move.close_on_exec && fcntl(move.to, F_SETFD, FD_CLOEXEC) != 0) {
            return unexpected(StepError{errno_message("fcntl(FD_CLOEXEC)")});
        }
    }
    return {};
}

StepResult reset_signals() {
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
        if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
        signal(signal_number, SIG_DFL);  // fails harmlessly for the reserved real-time signals
    }
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {
        return unexpected(StepError{errno_message("sigprocmask")});
    }
    return {};
}

}  // namespace

StepResult apply_descriptors(const Plan& plan) {
    std::vector<DescriptorMove> moves = plan.descriptors;
    int highest_target = 2;
    for (const DescriptorMove& move : moves) highest_target = std::max(highest_target, move.to);
    if (auto lifted = lift_sources(moves, highest_target + 1); !lifted) return lifted;
    if (auto placed = place(moves); !placed) return placed;
    // Close everything above the layout, including the lifted copies.
    if (syscall(SYS_close_range, highest_target + 1, ~0U, 0) != 0) {
        return unexpected(StepError{errno_message("close_range")});
    }
    // Numbers inside the layout that the plan does not fill are closed too.
    for (int fd = 3; fd <= highest_target; ++fd) {
        bool planned = std::any_of(moves.begin(), moves.end(),
                                   [fd](const DescriptorMove& m) { return m.to == fd; });
        if (!planned) close(fd);
    }
    return reset_signals();
}

}  // namespace bulkhead::confine
