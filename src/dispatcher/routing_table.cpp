#include "dispatcher/routing_table.hpp"

#include <algorithm>

namespace bulkhead::dispatcher {

void RoutingTable::add_site(std::uint32_t site_id, SiteState state) {
    if (sites_.size() <= site_id) sites_.resize(site_id + 1);
    sites_[site_id] = std::move(state);
}

std::uint32_t RoutingTable::worker_count(std::uint32_t site_id) const {
    return static_cast<std::uint32_t>(std::count_if(
        workers_.begin(), workers_.end(), [site_id](const WorkerChannel& w) { return w.site_id == site_id; }));
}

std::uint64_t RoutingTable::connections(std::uint32_t site_id) const {
    std::uint64_t total = 0;
    for (const WorkerChannel& worker : workers_) {
        if (worker.site_id == site_id) total += worker.load;
    }
    return total;
}

std::uint32_t RoutingTable::ready_count(std::uint32_t site_id) const {
    return static_cast<std::uint32_t>(std::count_if(workers_.begin(), workers_.end(), [site_id](const WorkerChannel& w) {
        return w.site_id == site_id && w.ready;
    }));
}

bool RoutingTable::add_host(std::string_view pattern, std::uint32_t site_id) {
    return has_site(site_id) && hosts_.add(pattern, site_id);
}

bool RoutingTable::has_site(std::uint32_t site_id) const {
    return site_id < sites_.size() && !sites_[site_id].name.empty();
}

const std::string& RoutingTable::site_name(std::uint32_t site_id) const {
    static const std::string unknown = "?";
    return has_site(site_id) ? sites_[site_id].name : unknown;
}

WorkerChannel& RoutingTable::attach(std::uint32_t site_id, std::uint32_t worker_id,
                                    UniqueFd channel) {
    detach(worker_id);
    workers_.push_back(WorkerChannel{worker_id, site_id, std::move(channel), 0});
    return workers_.back();
}

void RoutingTable::detach(std::uint32_t worker_id) {
    std::erase_if(workers_, [worker_id](const WorkerChannel& w) { return w.worker_id == worker_id; });
}

WorkerChannel* RoutingTable::worker(std::uint32_t worker_id) {
    auto found = std::find_if(workers_.begin(), workers_.end(),
                              [worker_id](const WorkerChannel& w) { return w.worker_id == worker_id; });
    return found == workers_.end() ? nullptr : &*found;
}

WorkerChannel* RoutingTable::worker_by_channel(int channel_fd) {
    auto found = std::find_if(workers_.begin(), workers_.end(), [channel_fd](const WorkerChannel& w) {
        return w.channel.get() == channel_fd;
    });
    return found == workers_.end() ? nullptr : &*found;
}

std::vector<int> RoutingTable::channel_fds() const {
    std::vector<int> fds;
    for (const WorkerChannel& worker : workers_) fds.push_back(worker.channel.get());
    return fds;
}

WorkerChannel* RoutingTable::least_busy(std::uint32_t site_id, const WorkerChannel* exclude) {
    WorkerChannel* best = nullptr;
    for (WorkerChannel& candidate : workers_) {
        if (candidate.site_id != site_id || &candidate == exclude || !candidate.ready) continue;
        if (best == nullptr || candidate.load < best->load) best = &candidate;
    }
    return best;
}

}  // namespace bulkhead::dispatcher
