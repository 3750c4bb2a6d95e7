#include "base/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace bulkhead {

UniqueFd block_into_signalfd(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int signal_number : signals) sigaddset(&set, signal_number);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    return UniqueFd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

int read_signal(int signal_fd) {
    signalfd_siginfo info{};
    if (read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return 0;
    return static_cast<int>(info.ssi_signo);
}

}  // namespace bulkhead
