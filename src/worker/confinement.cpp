#include "worker/confinement.hpp"

#include "base/log.hpp"
#include "confine/step.hpp"

namespace bulkhead::worker {
namespace {

// What a site keeps under Landlock, each with its reason.
confine::LandlockPlan landlock_plan(const Site& site) {
    confine::LandlockPlan plan;
    plan.enabled = true;
    plan.read_execute = {site.root};  // its own files; CGI scripts run from here
    plan.read_execute.insert(plan.read_execute.end(), site.readable.begin(), site.readable.end());
    // Programs and libraries a CGI script or an application needs to run.
    for (const char* system : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"}) {
        plan.read_execute.push_back(system);
    }
    plan.read_only = {"/etc",    // the loader cache, time zones, interpreter configuration
                      "/proc"};  // its own processes only: /proc is mounted hidepid=invisible
    plan.read_write = {"/tmp"};  // the site's private /tmp (its mount namespace)
    plan.read_write.insert(plan.read_write.end(), site.writable.begin(), site.writable.end());
    plan.devices = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"};
    plan.restrict_tcp = site.restrict_tcp;  // site.network.tcp_connect (ABI >= 4)
    plan.tcp_connect_ports = site.tcp_connect;
    return plan;
}

constexpr confine::Step kPostExecSteps[] = {
    {"selinux", confine::apply_selinux},
    {"landlock", confine::apply_landlock},
    {"seccomp", confine::apply_seccomp},
};

}  // namespace

Expected<void, std::string> confine_worker(const Site& site) {
    confine::Plan plan;
    plan.who = "worker of site " + site.name;
    plan.landlock = landlock_plan(site);
    plan.syscalls = confine::SyscallPolicy::worker_denylist;
    plan.selinux_context = site.selinux_context;
    std::string downgrades = confine::landlock_downgrades(confine::landlock_abi(), plan.landlock);
    if (!downgrades.empty()) log::warning(downgrades);
    if (auto ran = confine::run_steps(kPostExecSteps, plan); !ran) {
        return unexpected(std::string(ran.error().step) + ": " + ran.error().error.what);
    }
    return {};
}

}  // namespace bulkhead::worker
