// Standby workers (server.standby_workers): the master keeps a few workers executed ahead of
// need, so that a site whose pool grows (a cold site's first request above all) does not wait
// for fork, exec and the dynamic loader, which are most of a cold start on a slow host
// (docs/benchmarks.md). A standby is root and site-less: it holds only its channel to the
// master, /dev/null and the server log, and reads nothing but this channel. Given a site, it
// applies the same confinement steps a freshly started worker's child applies before exec
// (confine::worker_site_steps), from the same plan (role_plans.cpp), and then it is an ordinary
// worker: it verifies itself and receives its site's settings like any other.

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>

#include "base/log.hpp"
#include "ipc/channel.hpp"
#include "master/role_plans.hpp"
#include "master/spawn.hpp"
#include "master/standby_assignment.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {
namespace {

constexpr Millis kStandbyRetryMs = 1000;  // after a standby could not be started or died
constexpr Millis kMaxStandbyRetryMs = 60'000;

}  // namespace

std::size_t Supervisor::waiting_standbys() const {
    return static_cast<std::size_t>(std::count_if(standbys_.begin(), standbys_.end(),
                                                  [](const Standby& s) { return !s.killed; }));
}

void Supervisor::keep_standbys() {
    std::size_t wanted = config_.server.standby_workers;
    for (auto standby = standbys_.rbegin(); standby != standbys_.rend(); ++standby) {
        if (waiting_standbys() <= wanted)
            break;
        if (!standby->killed) {
            kill(standby->pid, SIGKILL);  // it holds nothing: no need to be gentle
            standby->killed = true;
        }
    }
    if (monotonic_ms() < standby_retry_at_)
        return;
    while (waiting_standbys() < wanted) {
        if (!start_standby()) {
            standby_retry_at_ = monotonic_ms() + kStandbyRetryMs;
            return;
        }
    }
}

bool Supervisor::start_standby() {
    auto control = ipc::make_channel_pair();
    if (!control) {
        log::error("cannot start a standby worker: socketpair: ", log::errno_text(errno));
        return false;
    }
    RoleDescriptors descriptors;
    descriptors.null_device = null_device_.get();
    descriptors.log = STDERR_FILENO;
    descriptors.master_channel = control->second.get();
    descriptors.executable = executables_.worker_fd.get();
    auto pid = spawn_role(standby_spawn_request(executables_.worker, descriptors));
    if (!pid) {
        log::error("cannot start a standby worker: ", pid.error());
        return false;
    }
    standbys_.push_back(Standby{*pid, std::move(control->first), false});
    log::info("started standby worker as pid ", *pid);
    return true;
}

std::optional<Supervisor::Standby> Supervisor::take_standby() {
    auto found = std::find_if(standbys_.begin(), standbys_.end(),
                              [](const Standby& s) { return !s.killed; });
    if (found == standbys_.end())
        return std::nullopt;
    Standby standby = std::move(*found);
    standbys_.erase(found);
    return standby;
}

bool Supervisor::assign_standby(const Standby& standby, const SiteRuntime& site,
                                const RoleDescriptors& descriptors) {
    SpawnRequest request = worker_spawn_request(config_, *site.config, executables_.worker,
                                                descriptors, site.cgroup.procs_files);
    // Back to the master's priority at once, whether it waits or is still loading: a client
    // is waiting for it now. (Its resource-limits step sets the same again.) Where root may
    // not raise a priority (no CAP_SYS_NICE, as in some containers) the standby could not
    // either: the worker is then started afresh, at the master's priority from the start.
    if (setpriority(PRIO_PROCESS, standby.pid, *request.plan.nice) != 0) {
        log::warning("cannot restore the priority of standby worker ", standby.pid, ": ",
                     log::errno_text(errno), "; starting a worker afresh (set ",
                     "server.standby_workers = 0 where root lacks CAP_SYS_NICE)");
        kill(standby.pid, SIGKILL);
        return false;
    }
    if (!send_standby_assignment(standby.channel.get(), request.plan, descriptors)) {
        log::error("could not give standby worker ", standby.pid, " to site ", site.config->name,
                   ": ", log::errno_text(errno), "; stopping it and starting a worker afresh");
        kill(standby.pid, SIGKILL);
        return false;
    }
    standby_failures_ = 0;
    return true;
}

bool Supervisor::on_standby_exit(pid_t pid, int wait_status) {
    auto found = std::find_if(standbys_.begin(), standbys_.end(),
                              [pid](const Standby& s) { return s.pid == pid; });
    if (found == standbys_.end())
        return false;
    bool expected = found->killed || stopping_;
    standbys_.erase(found);
    if (!expected) {
        Millis delay =
            std::min(kStandbyRetryMs << std::min(standby_failures_++, 6u), kMaxStandbyRetryMs);
        standby_retry_at_ = monotonic_ms() + delay;
        log::warning(
            "standby worker ", pid, " ",
            describe_exit(wait_status, {{standby_pre_exec_steps(), kStandbyStepFailureBase}}),
            "; another in ", delay, " ms");
    }
    return true;
}

void Supervisor::stop_standbys() {
    for (Standby& standby : standbys_) {
        if (!standby.killed)
            kill(standby.pid, SIGKILL);
        standby.killed = true;
    }
}

}  // namespace bulkhead::master
