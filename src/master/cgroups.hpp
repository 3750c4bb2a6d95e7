#pragma once
// Per-site cgroups (memory, pids, CPU weight), created beneath the cgroup bulkhead was started
// in — never elsewhere. cgroup v2 where the controllers are delegated to us; v1 per controller
// on hybrid hosts where they are not. Mounts are discovered from /proc/self/mountinfo and our
// place in each hierarchy from /proc/self/cgroup.

#include <string>
#include <vector>

#include "base/clock.hpp"
#include "config/model.hpp"

namespace bulkhead::master {

struct SiteCgroup {
    std::vector<std::string> directories;  // one per hierarchy used; removed at stop
    // bulkhead's own directories above them (v1: bulkhead-<hash>), removed with the last site.
    // Never the cgroup bulkhead was started in, which a v2 site directory lies directly in.
    std::vector<std::string> parents;
    std::vector<std::string> procs_files;  // the cgroup.procs files a process of the site joins
    std::string description;               // "v1 memory,pids,cpu" or "v2 memory pids cpu"
};

class Cgroups {
  public:
    // Discovers the hierarchies. Never throws; what is missing is said by describe().
    // Names are bulkhead-<hash of state_dir>/<site> (v1) or bulkhead-<hash>-site-<site> (v2).
    explicit Cgroups(const std::string& state_dir);
    std::string describe() const;

    // Creates and configures the site's cgroups. Throws std::runtime_error if the site asks
    // for a limit that no available controller can enforce, or a write fails.
    SiteCgroup prepare_site(const config::SiteConfig& site);
    // SIGKILL to every process in the site's cgroups: its workers and whatever they started
    // (php-cgi, CGI), for a stop at once (SIGQUIT).
    static void kill_members(const SiteCgroup& cgroup);
    // Removes the directories, waiting until `give_up_at` (monotonic_ms()) for processes
    // that are still exiting: a cgroup with a live process cannot be removed. One deadline
    // for all sites, so that many stuck ones cannot hold the stop for long.
    static void remove(const SiteCgroup& cgroup, Millis give_up_at);

  private:
    void enable_v2_controllers();

    struct Hierarchy {
        std::string controller;  // "memory", "pids", "cpu" (v1), or "" for v2
        std::string base;        // mount point + our own path: where we create children
    };
    std::vector<Hierarchy> v1_;
    std::string v2_base_;
    std::vector<std::string> v2_controllers_;  // enabled for our children
    bool v2_enabled_ = false;
    std::string prefix_;
};

}  // namespace bulkhead::master
