// bulkhead-dispatcher: executed by the master (as root, descriptors arranged); takes its
// table from the master, confines itself, then routes connections until told to stop.

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <time.h>

#include <cstdio>

#include "base/log.hpp"
#include "base/signals.hpp"
#include "dispatcher/confinement.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher/intake.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/protocol.hpp"

#if defined(__SANITIZE_ADDRESS__)
// Sanitizer builds only: LeakSanitizer stops the world at exit by reading /proc/<pid>/task,
// which the dispatcher's empty chroot does not have; it would turn every clean exit into an
// error. Leaks are still checked in the master and the workers.
extern "C" const char* __lsan_default_options() { return "detect_leaks=0"; }
#endif

namespace {

bool is_socket(int fd) {
    struct stat info {};
    return fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode);
}

}  // namespace

int main(int argc, char**) {
    using namespace bulkhead;
    // Until the loop's signalfd exists, a stop signal must wait rather than kill us mid-start.
    block_into_signalfd({SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE});
    log::set_role("dispatcher");
    if (argc != 1 || !is_socket(ipc::fds::kDispatcherMaster)) {
        std::fprintf(stderr, "bulkhead-dispatcher is started by the bulkhead master; do not run it by hand\n");
        return 2;
    }
    auto intake = dispatcher::receive_intake(ipc::fds::kDispatcherMaster);
    if (!intake) {
        log::error("start-up: ", intake.error());
        return intake.error() == dispatcher::kOtherBuild ? ipc::kExitOtherBuild : 3;
    }
    // The C library reads the time zone once, on first use, even for UTC conversions; do it
    // now, while /etc/localtime is still reachable.
    tzset();
    // Pre-jail: everything is received. Post-jail: no privilege, no files, no way back.
    if (auto confined = dispatcher::confine_dispatcher(*intake); !confined) {
        log::error("confinement failed: ", confined.error());
        return 4;
    }
    dispatcher::Dispatcher loop(intake->settings, std::move(intake->table),
                                std::move(intake->listeners), std::move(intake->proxy_trust),
                                UniqueFd(ipc::fds::kDispatcherMaster));
    return loop.run();
}
