#include "worker/child_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/unique_fd.hpp"

namespace bulkhead::worker {
namespace {

std::vector<char*> as_argv(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const std::string& text : strings)
        out.push_back(const_cast<char*>(text.c_str()));
    out.push_back(nullptr);
    return out;
}

// In the child, between fork and exec: async-signal-safe calls only. Reports a failure's
// errno on `report` (close-on-exec: a successful exec closes it, and the parent reads EOF).
[[noreturn]] void become_child(const SpawnPlan& plan, char* const* argv, char* const* envp,
                               pid_t parent, int report) {
    int failure = 0;
    if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        failure = errno;
    if (failure == 0 && getppid() != parent)
        failure = ESRCH;  // the worker died meanwhile
    const int wanted[3] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd};
    for (int target = 0; target < 3 && failure == 0; ++target) {
        if (wanted[target] != target && dup2(wanted[target], target) < 0)
            failure = errno;
    }
    // The worker takes its signals through a signalfd with them blocked; the child must not
    // start with them blocked, and SIGPIPE must kill a writer to a closed pipe again.
    sigset_t none;
    sigemptyset(&none);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &default_action, nullptr);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Whatever might lack close-on-exec beyond 0-2 gets it now (the report pipe has it).
    if (failure == 0)
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    if (failure == 0 && !plan.directory.empty() && chdir(plan.directory.c_str()) != 0) {
        failure = errno;
    }
    if (failure == 0) {
        execve(plan.program.c_str(), argv, envp);
        failure = errno;
    }
    ssize_t ignored = write(report, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

}  // namespace

Expected<pid_t, int> spawn(const SpawnPlan& plan) {
    std::vector<char*> argv = as_argv(plan.arguments);
    std::vector<char*> envp = as_argv(plan.environment);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0)
        return unexpected(errno);
    UniqueFd read_end(report[0]);
    UniqueFd write_end(report[1]);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return unexpected(errno);
    if (pid == 0)
        become_child(plan, argv.data(), envp.data(), parent, write_end.get());
    write_end.reset();
    int failure = 0;
    ssize_t got;
    do {
        got = read(read_end.get(), &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
        // It exits at once; the loop reaps it like any other child.
        return unexpected(failure);
    }
    return pid;
}

void kill_group(pid_t leader) {
    if (leader > 0)
        kill(-leader, SIGKILL);
}

}  // namespace bulkhead::worker
