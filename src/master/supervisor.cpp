#include "master/supervisor.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "base/log.hpp"
#include "base/signals.hpp"
#include "ipc/channel.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/protocol.hpp"
#include "master/role_plans.hpp"
#include "master/spawn.hpp"

namespace bulkhead::master {
namespace {

constexpr Millis kHealthyAfterMs = 10'000;  // a process that lived this long starts afresh
constexpr Millis kMaxBackoffMs = 30'000;
constexpr Millis kFirstBackoffMs = 250;
constexpr Millis kConfinementBackoffMs = 1000;     // never a hot loop on a broken host
constexpr unsigned kFailedAfter = 5;               // rapid deaths before a site is called failed
constexpr Millis kCgroupRemovalPatienceMs = 2000;  // at exit, for killed site processes to go

// A socket pair for a role about to start ("a worker of alpha"), or the error that stops it.
std::pair<UniqueFd, UniqueFd> channel_pair_for(const std::string& role) {
    auto pair = ipc::make_channel_pair();
    if (!pair)
        throw std::runtime_error("cannot start " + role +
                                 ": socketpair: " + log::errno_text(errno));
    return std::move(*pair);
}

Millis backoff_for(unsigned rapid_failures) {
    if (rapid_failures == 0)
        return 0;
    Millis delay = kFirstBackoffMs << std::min(rapid_failures - 1, 10u);
    return std::min(delay, kMaxBackoffMs);
}

}  // namespace

Supervisor::Supervisor(config::Config config, std::vector<Listener> listeners, std::string jail_dir,
                       Executables executables)
    : config_(std::move(config)),
      listeners_(std::move(listeners)),
      jail_dir_(std::move(jail_dir)),
      executables_(std::move(executables)),
      null_device_(open("/dev/null", O_RDWR | O_CLOEXEC)),
      signals_(block_into_signalfd({SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGPIPE})) {
    for (const Listener& listener : listeners_) {
        if (listener.tls) {
            https_port_ = listener.port;
            break;
        }
    }
    ticket_keys_.update(config_.sites, monotonic_ms());
    Cgroups cgroups(config_.server.state_dir);
    log::info(cgroups.describe());
    for (const config::SiteConfig& site : config_.sites) {
        sites_.push_back(
            SiteRuntime{&site, open_site_logs(config_.server, site), cgroups.prepare_site(site)});
    }
    slots_.push_back(dispatcher_slot_template());
    for (std::uint32_t site_id = 0; site_id < sites_.size(); ++site_id) {
        // workers.min processes; more on demand (pools.cpp), up to workers.max.
        std::uint32_t count = sites_[site_id].config->workers.min;
        for (std::uint32_t i = 0; i < count; ++i) {
            slots_.push_back(worker_slot(site_id, sites_[site_id].config->name));
        }
    }
}

Supervisor::~Supervisor() {
    // Nothing of a site outlives the server: after a graceful stop only what a site started
    // and left behind (a CGI that daemonised itself) is still there; after SIGQUIT, also the
    // workers that are still dying of their SIGKILL.
    for (const SiteRuntime& site : sites_)
        Cgroups::kill_members(site.cgroup);
    for (const SiteCgroup& cgroup : retired_cgroups_)
        Cgroups::kill_members(cgroup);
    Millis give_up_at = monotonic_ms() + kCgroupRemovalPatienceMs;
    for (const SiteRuntime& site : sites_)
        Cgroups::remove(site.cgroup, give_up_at);
    for (const SiteCgroup& cgroup : retired_cgroups_)
        Cgroups::remove(cgroup, give_up_at);
}

int Supervisor::run() {
    epoll_.add(signals_.get(), EPOLLIN, 0);
    for (Slot& slot : slots_) {
        if (slot.role == Role::worker)
            start_worker(slot);
    }
    start_dispatcher(dispatcher_slot());
    log::info("started ", sites_.size(), " site(s), ", slots_.size() - 1, " worker(s)");
    keep_standbys();
    epoll_event events[16];
    while (!done_) {
        int ready = epoll_.wait(events, next_timeout_ms());
        for (int i = 0; i < ready; ++i) {
            if (events[i].data.u64 == 0) {
                on_signal();
            } else {
                on_dispatcher_report();
            }
        }
        if (stopping_) {
            advance_stop();
        } else if (!done_) {  // SIGQUIT: nothing may be started on the way out
            restart_due();
            keep_standbys();
            advance_retirement();
            rotate_ticket_keys();
        }
    }
    log::info("stopped");
    return exit_status_;
}

std::string Supervisor::describe(const Slot& slot) const {
    std::string who = slot.role == Role::dispatcher ? std::string("dispatcher")
                                                    : "worker " + std::to_string(slot.worker_id) +
                                                          " of site " + slot.site_name;
    return slot.retiring ? who + " (retiring)" : who;
}

Supervisor::Slot* Supervisor::slot_by_pid(pid_t pid) {
    auto found =
        std::find_if(slots_.begin(), slots_.end(), [pid](const Slot& s) { return s.pid == pid; });
    return found == slots_.end() ? nullptr : &*found;
}

void Supervisor::start_worker(Slot& slot) {
    const SiteRuntime& site = sites_[slot.site_id];
    auto traffic = channel_pair_for("a worker of " + site.config->name);
    slot.worker_id = next_worker_id_++;
    // A standby keeps the channel to the master it was started with; only a fresh worker
    // needs one.
    RoleDescriptors descriptors{
        null_device_.get(),   site.logs.error.get(),  -1,
        traffic.second.get(), site.logs.access.get(), executables_.worker_fd.get()};
    const char* how = "";
    if (std::optional<Standby> standby = take_standby();
        standby && assign_standby(*standby, site, descriptors)) {
        slot.pid = standby->pid;
        slot.channel = std::move(standby->channel);
        how = " from a standby";
    } else {
        auto control = channel_pair_for("a worker of " + site.config->name);
        descriptors.master_channel = control.second.get();
        SpawnRequest request = worker_spawn_request(config_, *site.config, executables_.worker,
                                                    descriptors, site.cgroup.procs_files);
        auto pid = spawn_role(request);
        if (!pid)
            throw std::runtime_error("cannot start a worker of " + site.config->name + ": " +
                                     pid.error());
        slot.pid = *pid;
        slot.channel = std::move(control.first);
    }
    slot.started = monotonic_ms();
    slot.dispatcher_end = std::move(traffic.first);
    log::info("started ", describe(slot), " as pid ", slot.pid, " (uid ", site.config->uid, ")",
              how);
    send_worker_intake(slot);
    attach_to_dispatcher(slot);
}

void Supervisor::start_dispatcher(Slot& slot) {
    auto control = channel_pair_for("the dispatcher");
    RoleDescriptors descriptors{null_device_.get(),
                                STDERR_FILENO,
                                control.second.get(),
                                -1,
                                -1,
                                executables_.dispatcher_fd.get()};
    SpawnRequest request = dispatcher_spawn_request(config_, executables_.dispatcher, descriptors);
    auto pid = spawn_role(request);
    if (!pid)
        throw std::runtime_error("cannot start the dispatcher: " + pid.error());
    slot.pid = *pid;
    slot.started = monotonic_ms();
    slot.channel = std::move(control.first);
    log::info("started dispatcher as pid ", slot.pid, " (uid ", config_.server.uid, ", root ",
              jail_dir_, ")");
    send_dispatcher_intake(slot);
    epoll_.add(slot.channel.get(), EPOLLIN, 1);
}

void Supervisor::on_signal() {
    while (int signal_number = read_signal(signals_.get())) {
        switch (signal_number) {
            case SIGCHLD:
                reap_children();
                break;
            case SIGTERM:
            case SIGINT:
                begin_stop();
                break;
            case SIGQUIT:
                log::info("SIGQUIT: stopping at once");
                stop_standbys();
                for (Slot& slot : slots_) {
                    if (slot.pid > 0)
                        kill(slot.pid, SIGKILL);
                }
                done_ = true;
                break;
            case SIGHUP:
                reload();
                break;
            case SIGUSR1:
                reopen_logs();
                break;
            default:
                break;
        }
    }
}

void Supervisor::reap_children() {
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        if (Slot* slot = slot_by_pid(pid))
            on_exit(*slot, status);
        else
            on_standby_exit(pid, status);
    }
}

void Supervisor::on_exit(Slot& slot, int wait_status) {
    // A worker may have been a standby that was given its site while still starting.
    std::string how =
        slot.role == Role::worker
            ? describe_exit(wait_status, {{worker_pre_exec_steps()},
                                          {standby_pre_exec_steps(), kStandbyStepFailureBase,
                                           "standby confinement step"}})
            : describe_exit(wait_status, {{dispatcher_pre_exec_steps()}});
    Millis now = monotonic_ms();
    if (slot.role == Role::worker)
        detach_from_dispatcher(slot);
    if (slot.role == Role::dispatcher)
        epoll_.remove(slot.channel.get());
    slot.pid = 0;
    slot.channel.reset();
    slot.dispatcher_end.reset();
    if (stopping_ || slot.retiring) {
        log::info(describe(slot), " ", how);
        if (slot.retiring && !stopping_) {
            std::erase_if(slots_, [](const Slot& s) { return s.retiring && s.pid == 0; });
        }
        return;
    }
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == ipc::kExitOtherBuild) {
        // Restarting cannot help: the executables on disk do not belong together.
        log::error(describe(slot),
                   " is not from the same build as this master; install bulkhead, "
                   "bulkhead-dispatcher and bulkhead-worker together. Stopping.");
        exit_status_ = 2;
        begin_stop();
        return;
    }
    if (now - slot.started >= kHealthyAfterMs)
        slot.rapid_failures = 0;
    Millis delay = backoff_for(slot.rapid_failures++);
    bool confinement = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) >= kStepFailureBase;
    if (confinement)
        delay = std::max(delay, kConfinementBackoffMs);
    slot.restart_at = now + delay;
    if (slot.rapid_failures == kFailedAfter && slot.role == Role::worker) {
        // Said once, loudly: the site is down until a worker stays up; other sites go on.
        log::error("site ", sites_[slot.site_id].config->name, " is failing: its workers died ",
                   kFailedAfter, " times in a row within ", kHealthyAfterMs / 1000,
                   " s of starting (last: ", how, "); its requests get 503 until one stays up");
    }
    log::warning(describe(slot), " ", how, "; restarting in ", delay, " ms");
}

void Supervisor::restart_due() {
    Millis now = monotonic_ms();
    for (Slot& slot : slots_) {
        if (slot.pid != 0 || slot.restart_at > now || slot.retiring)
            continue;
        try {
            slot.role == Role::worker ? start_worker(slot) : start_dispatcher(slot);
        } catch (const std::exception& error) {
            log::error(error.what());
            slot.restart_at = now + backoff_for(++slot.rapid_failures);
        }
    }
}

int Supervisor::next_timeout_ms() const {
    Millis now = monotonic_ms();
    Millis next = now + 1000;
    for (const Slot& slot : slots_) {
        if (slot.pid == 0 && !stopping_)
            next = std::min(next, slot.restart_at);
    }
    if (!stopping_ && waiting_standbys() < config_.server.standby_workers)
        next = std::min(next, standby_retry_at_);
    return static_cast<int>(std::clamp<Millis>(next - now, 0, 1000));
}

}  // namespace bulkhead::master
