#include "master/spawn.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "base/log.hpp"
#include "ipc/fd_numbers.hpp"

namespace bulkhead::master {
namespace {

// Only what a role needs; nothing of the master's environment leaks into a site. Sanitizer
// settings pass through so that test builds report from every process.
std::vector<std::string> role_environment() {
    std::vector<std::string> environment = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"};
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
        if (const char* value = getenv(name))
            environment.push_back(std::string(name) + "=" + value);
    }
    return environment;
}

[[noreturn]] void run_child(const SpawnRequest& request) {
    for (std::size_t i = 0; i < request.steps.size(); ++i) {
        const confine::Step& step = request.steps[i];
        confine::StepResult result = step.apply(request.plan);
        if (!result) {
            std::string line = "bulkhead: " + request.plan.who + ": confinement step " + step.name +
                               " failed: " + result.error().what + "\n";
            ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
            (void)ignored;
            _exit(request.step_exit_base + static_cast<int>(i));
        }
    }
    std::vector<std::string> environment = role_environment();
    std::vector<char*> envp;
    for (std::string& entry : environment)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::string name = request.process_name;
    std::string argument = request.argument;
    char* argv[] = {name.data(), argument.empty() ? nullptr : argument.data(), nullptr};
    execveat(ipc::fds::kExecutable, "", argv, envp.data(), AT_EMPTY_PATH);
    std::string line = "bulkhead: " + request.plan.who + ": exec " + request.executable + ": " +
                       strerror(errno) + "\n";
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
    _exit(kExecFailure);
}

}  // namespace

Expected<pid_t, std::string> spawn_role(const SpawnRequest& request) {
    pid_t pid = fork();
    if (pid < 0)
        return unexpected("fork: " + log::errno_text(errno));
    if (pid == 0)
        run_child(request);
    return pid;
}

std::string describe_exit(int wait_status, std::initializer_list<StepList> step_lists) {
    if (WIFSIGNALED(wait_status)) {
        int signal_number = WTERMSIG(wait_status);
        return "killed by signal " + std::to_string(signal_number) + " (" +
               strsignal(signal_number) + ")";
    }
    int code = WEXITSTATUS(wait_status);
    for (const StepList& list : step_lists) {
        int index = code - list.exit_base;
        if (index >= 0 && index < static_cast<int>(list.steps.size()))
            return std::string("failed ") + list.what + " '" + list.steps[index].name + "'";
    }
    if (code == kExecFailure)
        return "could not execute its program";
    return "exited with status " + std::to_string(code);
}

}  // namespace bulkhead::master
