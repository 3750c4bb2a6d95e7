// bulkhead-worker: executed by the master's child after it has confined itself to the site
// (descriptors, limits, identity, capabilities: confine/). Receives its site's settings,
// re-checks that it holds no privilege, opens its document root, and serves.
//
// `bulkhead-worker standby` is executed ahead of need instead, still root, and waits for the
// master to give it a site; it then applies the same steps itself (standby.hpp) and goes on
// as above.

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "base/log.hpp"
#include "base/signals.hpp"
#include "confine/step.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/protocol.hpp"
#include "worker/confinement.hpp"
#include "worker/intake.hpp"
#include "worker/mime_types.hpp"
#include "worker/standby.hpp"
#include "worker/static_files.hpp"
#include "worker/tls_context.hpp"
#include "worker/worker_loop.hpp"

namespace {

using namespace bulkhead;

bool is_socket(int fd) {
    struct stat info {};
    return fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode);
}

// Exec resets the dumpable flag; set it again before anything else, then check that the
// steps before exec left nothing behind.
bool post_exec_checks() {
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return false;
    auto verified = confine::verify_unprivileged(getuid(), getgid());
    if (!verified)
        log::error("confinement check failed: ", verified.error().what);
    return verified.has_value();
}

[[noreturn]] void refuse_to_run_by_hand() {
    std::fprintf(stderr,
                 "bulkhead-worker is started by the bulkhead master; do not run it by hand\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    bool standby = argc == 2 && std::string_view(argv[1]) == "standby";
    // The same for every site, so a standby reads it while it waits.
    worker::MimeTypes mime_types = worker::MimeTypes::load();
    if (standby) {
        // A standby holds nothing, so a stop signal may end it at once while it waits.
        log::set_role("standby worker");
        if (!is_socket(ipc::fds::kWorkerMaster))
            refuse_to_run_by_hand();
        if (auto assigned = worker::become_site_worker(ipc::fds::kWorkerMaster); !assigned) {
            log::error(assigned.error().message);
            return assigned.error().exit_status;
        }
        // From here on it is a worker like any other, and ps shows it as one.
        std::memset(argv[1], 0, std::strlen(argv[1]));
    } else if (argc != 1) {
        refuse_to_run_by_hand();
    }
    // Until the loop's signalfd exists, a stop signal must wait rather than kill us mid-start.
    block_into_signalfd({SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGPIPE});
    log::set_role("worker");
    if (!is_socket(ipc::fds::kWorkerMaster) || !is_socket(ipc::fds::kWorkerDispatcher))
        refuse_to_run_by_hand();
    if (!post_exec_checks())
        return 4;
    // Nothing this worker starts (CGI scripts, FastCGI applications) may inherit its channels
    // or the access log; they had to survive one exec, not two.
    for (int fd :
         {ipc::fds::kWorkerMaster, ipc::fds::kWorkerDispatcher, ipc::fds::kWorkerAccessLog}) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    // Processes a site program leaves behind are re-parented to this worker, which reaps them,
    // rather than to a process outside the site.
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    auto site = worker::receive_site(ipc::fds::kWorkerMaster);
    if (!site) {
        log::error("start-up: ", site.error());
        return site.error() == worker::kOtherBuild ? ipc::kExitOtherBuild : 3;
    }
    log::set_role("worker " + site->name);
    site->root_fd.reset(open(site->root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!site->root_fd) {
        log::error("cannot open document root ", site->root, ": ", log::errno_text(errno));
        return 5;
    }
    // Built before confinement, from the descriptors the master passed: the key file itself
    // may be readable by root only, and no path is needed once they are open.
    std::unique_ptr<worker::TlsContext> tls;
    if (site->tls) {
        auto context = worker::TlsContext::create(*site->tls);
        if (!context) {
            log::error("TLS: ", context.error());
            return 5;
        }
        tls = std::move(*context);
        // The context holds its own copies; these would otherwise sit in memory for good.
        for (worker::TicketKey& key : site->tls->ticket_keys)
            OPENSSL_cleanse(&key, sizeof key);
        site->tls->ticket_keys.clear();
    }
    worker::FileCache file_cache;
    worker::StaticFiles files(site->root_fd.get(), site->index_files, mime_types, file_cache);
    if (auto confined = worker::confine_worker(*site); !confined) {
        log::error("confinement failed: ", confined.error());
        return 6;
    }
    worker::WorkerLoop loop(*site, files, tls.get(), ipc::fds::kWorkerDispatcher,
                            ipc::fds::kWorkerAccessLog);
    loop.add_ticker(file_cache);
    return loop.run();
}
