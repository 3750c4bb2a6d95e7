// `bulkhead run`: validate, prepare, open the listeners, and supervise until stopped.

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "base/log.hpp"
#include "config/load.hpp"
#include "config/plan.hpp"
#include "confine/step.hpp"
#include "master/commands.hpp"
#include "master/filesystem.hpp"
#include "master/listeners.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {
namespace {

std::string own_directory() {
    char path[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
    if (length <= 0)
        throw std::runtime_error("cannot find my own executable in /proc/self/exe");
    std::string self(path, static_cast<std::size_t>(length));
    return self.substr(0, self.rfind('/'));
}

// The role executables sit next to bulkhead. They are opened here, by root, and executed by
// descriptor (execveat), so the directories on the way need not be searchable by the sites'
// users; the files themselves must be executable by them, since workers exec after dropping root.
Executables find_executables() {
    std::string directory = own_directory();
    Executables executables{
        directory + "/bulkhead-dispatcher", directory + "/bulkhead-worker", {}, {}};
    executables.dispatcher_fd.reset(open(executables.dispatcher.c_str(), O_PATH | O_CLOEXEC));
    executables.worker_fd.reset(open(executables.worker.c_str(), O_PATH | O_CLOEXEC));
    if (!executables.dispatcher_fd || !executables.worker_fd) {
        throw std::runtime_error(
            "cannot open the role executables bulkhead-dispatcher and "
            "bulkhead-worker in " +
            directory + ": " + log::errno_text(errno));
    }
    for (const auto& [path, fd] :
         {std::pair{&executables.dispatcher, executables.dispatcher_fd.get()},
          std::pair{&executables.worker, executables.worker_fd.get()}}) {
        struct stat info {};
        if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || !(info.st_mode & S_IXOTH)) {
            throw std::runtime_error(*path +
                                     " is not a file every user may execute (mode o+x); "
                                     "the sites' workers run it after dropping root");
        }
    }
    return executables;
}

// A guarantee the configuration demands and this host cannot give stops the start.
void check_host_supports(const config::Config& config) {
    for (const config::SiteConfig& site : config.sites) {
        if (!site.selinux_context.empty() && !confine::selinux_enabled()) {
            throw std::runtime_error("site " + site.name + " asks for SELinux context " +
                                     site.selinux_context +
                                     ", but SELinux is not enabled on this host");
        }
    }
}

// The master holds per site two log files and per worker two channel ends; with thousands of
// sites that is more than the usual soft limit of 1024. Raise it to the hard limit, and say
// before anything starts if even that is too small.
void ensure_descriptor_room(const config::Config& config) {
    struct rlimit limit {};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    rlim_t needed = 64 + config.server.listen.size() + config.server.tls_listen.size();
    for (const config::SiteConfig& site : config.sites)
        needed += 2 + 2 * site.workers.max;
    if (limit.rlim_cur < needed) {
        throw std::runtime_error("the open-file limit is " + std::to_string(limit.rlim_cur) +
                                 ", but " + std::to_string(config.sites.size()) +
                                 " sites need up to " + std::to_string(needed) +
                                 "; raise it (e.g. LimitNOFILE= in the "
                                 "systemd unit, or ulimit -n) or lower workers.max");
    }
}

int serve(const config::Config& config) {
    check_host_supports(config);
    ensure_descriptor_room(config);
    std::string jail = prepare_state_dirs(config);
    Executables executables = find_executables();
    std::vector<Listener> listeners = open_listeners(config.server);
    // The test harness and administrators read the ports from these lines: keep their form.
    for (const Listener& listener : listeners) {
        log::info("listening on ", listener.bound, listener.tls ? " (https)" : " (http)");
    }
    Supervisor supervisor(config, std::move(listeners), jail, std::move(executables));
    return supervisor.run();
}

void print_problems(const std::vector<config::Problem>& problems) {
    for (const config::Problem& problem : problems) {
        std::fprintf(stderr, "%s\n", problem.to_string().c_str());
    }
}

// Warnings of a valid configuration (a certificate about to expire) in the server's log.
void log_warnings(const config::Config& config) {
    for (config::Problem problem : config.warnings.list) {
        problem.warning = false;  // the log line says "warning" already
        log::warning(problem.to_string());
    }
}

}  // namespace

int run_command(const std::string& config_path) {
    log::set_role("master");
    auto config = config::load_config_file(config_path);
    if (!config) {
        print_problems(config.error());
        return kExitConfiguration;
    }
    if (geteuid() != 0) {
        std::fprintf(stderr,
                     "bulkhead: must be started as root: it runs each site's workers as the "
                     "site's own user and cannot switch users otherwise\n");
        return kExitStartup;
    }
    log_warnings(*config);
    try {
        return serve(*config);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bulkhead: %s\n", error.what());
        return kExitStartup;
    }
}

int check_command(const std::string& config_path) {
    auto config = config::load_config_file(config_path);
    if (!config) {
        print_problems(config.error());
        return 1;
    }
    print_problems(config->warnings.list);  // valid all the same: exit 0
    std::fputs(config::describe_plan(*config).c_str(), stdout);
    return 0;
}

}  // namespace bulkhead::master
