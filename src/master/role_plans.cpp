#include "master/role_plans.hpp"

#include <errno.h>
#include <sys/resource.h>

#include "ipc/fd_numbers.hpp"

namespace bulkhead::master {
namespace {

// The dispatcher needs root after exec for one thing, chroot into its jail, so it drops its
// identity itself (dispatcher/confinement.cpp) before reading any network input.
constexpr confine::Step kDispatcherSteps[] = {
    {"descriptors", confine::apply_descriptors},
    {"resource limits", confine::apply_resource_limits},
};

// A standby worker is executed before any site needs it. It keeps root until it is given a
// site, because it then applies the worker's steps itself (worker/standby.cpp); until then it
// has nothing to lose: no site, no client, only its channel to the master and the server log.
constexpr int kStandbyNice = 19;
constexpr confine::Step kStandbySteps[] = {
    {"descriptors", confine::apply_descriptors},
    {"resource limits", confine::apply_resource_limits},
};

std::vector<confine::DescriptorMove> layout(const RoleDescriptors& d, bool worker) {
    std::vector<confine::DescriptorMove> moves = {{d.null_device, 0},
                                                  {d.null_device, 1},
                                                  {d.log, 2},
                                                  {d.master_channel, ipc::fds::kWorkerMaster},
                                                  {d.executable, ipc::fds::kExecutable, true}};
    if (worker) {
        moves.push_back({d.dispatcher_channel, ipc::fds::kWorkerDispatcher});
        moves.push_back({d.access_log, ipc::fds::kWorkerAccessLog});
    }
    return moves;
}

}  // namespace

std::span<const confine::Step> worker_pre_exec_steps() {
    return confine::worker_site_steps();
}
std::span<const confine::Step> dispatcher_pre_exec_steps() {
    return kDispatcherSteps;
}
std::span<const confine::Step> standby_pre_exec_steps() {
    return kStandbySteps;
}

std::string site_tmp_dir(const config::Config& config, const config::SiteConfig& site) {
    return config.server.state_dir + "/sites/" + site.name + "/tmp";
}

SpawnRequest worker_spawn_request(const config::Config& config, const config::SiteConfig& site,
                                  const std::string& executable, const RoleDescriptors& descriptors,
                                  const std::vector<std::string>& cgroup_procs) {
    SpawnRequest request;
    request.executable = executable;
    request.executable_fd = descriptors.executable;
    request.process_name = "bulkhead-worker";
    request.steps = confine::worker_site_steps();
    confine::Plan& plan = request.plan;
    plan.who = "worker of site " + site.name;
    plan.descriptors = layout(descriptors, true);
    plan.limits = {
        {RLIMIT_CORE, 0, 0},            // a core dump would hold request data and keys
        {RLIMIT_NOFILE, 65536, 65536},  // one descriptor per connection and file
    };
    if (site.limits.pids) {
        // Per uid, so it counts every process of the site: the last line behind pids.max.
        rlim_t processes = *site.limits.pids;
        plan.limits.push_back({RLIMIT_NPROC, processes, processes});
    }
    // The master's own priority: a no-op for a child that inherits it, and what a standby
    // (which waited at the lowest) returns to.
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    plan.nice = errno == 0 ? nice : 0;
    plan.cgroup_procs = cgroup_procs;
    plan.namespaces.enabled = true;
    plan.namespaces.private_tmp = site_tmp_dir(config, site);
    plan.uid = site.uid;
    plan.gid = site.gid;
    plan.min_uid = config.server.min_site_uid;
    plan.min_gid = config.server.min_site_gid;
    return request;
}

SpawnRequest standby_spawn_request(const std::string& executable,
                                   const RoleDescriptors& descriptors) {
    SpawnRequest request;
    request.executable = executable;
    request.executable_fd = descriptors.executable;
    request.process_name = "bulkhead-worker";
    request.argument = "standby";
    request.steps = kStandbySteps;
    request.step_exit_base = kStandbyStepFailureBase;
    confine::Plan& plan = request.plan;
    plan.who = "standby worker";
    plan.descriptors = layout(descriptors, false);
    plan.limits = {{RLIMIT_CORE, 0, 0}};
    // Prepared in CPU time no one else wants: a replacement standby must not slow down the
    // cold start that just took its predecessor.
    plan.nice = kStandbyNice;
    return request;
}

SpawnRequest dispatcher_spawn_request(const config::Config& config, const std::string& executable,
                                      const RoleDescriptors& descriptors) {
    SpawnRequest request;
    request.executable = executable;
    request.executable_fd = descriptors.executable;
    request.process_name = "bulkhead-dispatcher";
    request.steps = kDispatcherSteps;
    confine::Plan& plan = request.plan;
    plan.who = "dispatcher";
    plan.descriptors = layout(descriptors, false);
    plan.limits = {
        {RLIMIT_CORE, 0, 0},
        {RLIMIT_NOFILE, 262144, 262144},  // every connection in its head phase is one
    };
    plan.uid = config.server.uid;
    plan.gid = config.server.gid;
    return request;
}

}  // namespace bulkhead::master
