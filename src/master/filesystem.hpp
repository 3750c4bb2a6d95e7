#pragma once
// What the master prepares on disk before any role starts: the state directory, the
// dispatcher's empty jail, each site's private state directory and its log files.

#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "config/model.hpp"

namespace bulkhead::master {

struct SiteLogs {
    UniqueFd access;  // <log_dir>/<site>.access.log, O_APPEND
    UniqueFd error;   // <log_dir>/<site>.error.log, O_APPEND
};

// Creates state_dir, state_dir/dispatcher-jail (empty, root-owned, 0555) and
// state_dir/sites/<name> (owned by the site, 0700). Returns the jail's path. Throws
// std::runtime_error naming the path on failure, or if the jail is not empty.
std::string prepare_state_dirs(const config::Config& config);

// Opens (creating) both log files of a site: root-owned, group the site's, mode 0640, so the
// site can read its logs and write them only through the descriptors it is given.
SiteLogs open_site_logs(const config::ServerConfig& server, const config::SiteConfig& site);


}  // namespace bulkhead::master
