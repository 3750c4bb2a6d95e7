#pragma once
// Which site owns a name, and which of its workers is least busy. Filled from the master's
// messages; holds the dispatcher's end of each worker's channel.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "proto/host.hpp"

namespace bulkhead::dispatcher {

struct WorkerChannel {
    std::uint32_t worker_id = 0;
    std::uint32_t site_id = 0;
    UniqueFd channel;
    std::uint32_t load = 0;  // connections: last report plus handoffs since
};

class RoutingTable {
public:
    void add_site(std::uint32_t site_id, std::string name);
    bool add_host(std::string_view pattern, std::uint32_t site_id);
    bool has_site(std::uint32_t site_id) const;
    const std::string& site_name(std::uint32_t site_id) const;

    // nullopt for a name no site owns. `host` must be normalized.
    std::optional<std::uint32_t> route(std::string_view host) const { return hosts_.find(host); }

    WorkerChannel& attach(std::uint32_t site_id, std::uint32_t worker_id, UniqueFd channel);
    void detach(std::uint32_t worker_id);  // closes the channel
    WorkerChannel* worker(std::uint32_t worker_id);
    WorkerChannel* worker_by_channel(int channel_fd);
    // The worker of the site with the smallest load, skipping `exclude`; nullptr if none.
    std::vector<int> channel_fds() const;
    WorkerChannel* least_busy(std::uint32_t site_id, const WorkerChannel* exclude = nullptr);

private:
    proto::HostTable hosts_;
    std::vector<std::string> site_names_;  // by site id
    std::vector<WorkerChannel> workers_;   // few per site: a linear scan beats a map
};

}  // namespace bulkhead::dispatcher
