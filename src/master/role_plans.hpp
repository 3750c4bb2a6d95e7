#pragma once
// What each role starts with: its descriptor layout, resource limits, identity, and the
// pre-exec confinement steps the master's child runs for it.

#include <span>
#include <string>

#include "config/model.hpp"
#include "confine/step.hpp"
#include "master/spawn.hpp"

namespace bulkhead::master {

// The parent's descriptors a role inherits; -1 where the role takes none.
struct RoleDescriptors {
    int null_device = -1;        // → 0 and 1
    int log = -1;                // → 2: the server log (dispatcher) or the site's error log
    int master_channel = -1;     // → 3
    int dispatcher_channel = -1; // → 4 (workers)
    int access_log = -1;         // → 5 (workers)
    int executable = -1;         // → 6 until exec: the role's executable (O_PATH)
};

std::span<const confine::Step> worker_pre_exec_steps();
std::span<const confine::Step> dispatcher_pre_exec_steps();
std::span<const confine::Step> standby_pre_exec_steps();

// <state_dir>/sites/<name>/tmp: mounted over /tmp in the site's mount namespace.
std::string site_tmp_dir(const config::Config& config, const config::SiteConfig& site);

SpawnRequest worker_spawn_request(const config::Config& config, const config::SiteConfig& site,
                                  const std::string& executable, const RoleDescriptors& descriptors,
                                  const std::vector<std::string>& cgroup_procs);
// A worker executed ahead of need, given a site later (server.standby_workers). Its log until
// then is the server log; `descriptors` fills null_device, log, master_channel and executable.
SpawnRequest standby_spawn_request(const std::string& executable,
                                   const RoleDescriptors& descriptors);
SpawnRequest dispatcher_spawn_request(const config::Config& config, const std::string& executable,
                                      const RoleDescriptors& descriptors);

}  // namespace bulkhead::master
