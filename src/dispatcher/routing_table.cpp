#include "dispatcher/routing_table.hpp"

#include <algorithm>

namespace bulkhead::dispatcher {

void RoutingTable::add_site(std::uint32_t site_id, SiteState state) {
    if (sites_.size() <= site_id)
        sites_.resize(site_id + 1);
    sites_[site_id] = std::move(state);
}

std::uint32_t RoutingTable::worker_count(std::uint32_t site_id) const {
    return static_cast<std::uint32_t>(sites_[site_id].workers.size());
}

std::uint64_t RoutingTable::connections(std::uint32_t site_id) const {
    std::uint64_t total = 0;
    for (const WorkerChannel& worker : sites_[site_id].workers)
        total += worker.load;
    return total;
}

std::uint32_t RoutingTable::ready_count(std::uint32_t site_id) const {
    const auto& workers = sites_[site_id].workers;
    return static_cast<std::uint32_t>(std::count_if(
        workers.begin(), workers.end(), [](const WorkerChannel& w) { return w.ready; }));
}

bool RoutingTable::add_host(std::string_view pattern, std::uint32_t site_id) {
    return has_site(site_id) && hosts_.add(pattern, site_id);
}

bool RoutingTable::has_site(std::uint32_t site_id) const {
    return site_id < sites_.size() && !sites_[site_id].name.empty();
}

std::optional<std::uint32_t> RoutingTable::route_tls(std::string_view host) const {
    std::optional<std::uint32_t> site = hosts_.find(host);
    if (site && !terminates_tls(*site))
        return std::nullopt;
    return site;
}

const std::string& RoutingTable::site_name(std::uint32_t site_id) const {
    static const std::string unknown = "?";
    return has_site(site_id) ? sites_[site_id].name : unknown;
}

WorkerChannel& RoutingTable::attach(std::uint32_t site_id, std::uint32_t worker_id,
                                    UniqueFd channel) {
    detach(worker_id);
    site_of_worker_[worker_id] = site_id;
    site_of_channel_[channel.get()] = site_id;
    auto& workers = sites_[site_id].workers;
    workers.push_back(WorkerChannel{worker_id, site_id, std::move(channel), 0});
    return workers.back();
}

void RoutingTable::detach(std::uint32_t worker_id) {
    auto site = site_of_worker_.find(worker_id);
    if (site == site_of_worker_.end())
        return;
    auto& workers = sites_[site->second].workers;
    if (WorkerChannel* worker = find_in_site(site->second, worker_id)) {
        site_of_channel_.erase(worker->channel.get());
    }
    std::erase_if(workers,
                  [worker_id](const WorkerChannel& w) { return w.worker_id == worker_id; });
    site_of_worker_.erase(site);
}

WorkerChannel* RoutingTable::find_in_site(std::uint32_t site_id, std::uint32_t worker_id) {
    for (WorkerChannel& worker : sites_[site_id].workers) {
        if (worker.worker_id == worker_id)
            return &worker;
    }
    return nullptr;
}

WorkerChannel* RoutingTable::worker(std::uint32_t worker_id) {
    auto site = site_of_worker_.find(worker_id);
    return site == site_of_worker_.end() ? nullptr : find_in_site(site->second, worker_id);
}

WorkerChannel* RoutingTable::worker_by_channel(int channel_fd) {
    auto site = site_of_channel_.find(channel_fd);
    if (site == site_of_channel_.end())
        return nullptr;
    for (WorkerChannel& worker : sites_[site->second].workers) {
        if (worker.channel.get() == channel_fd)
            return &worker;
    }
    return nullptr;
}

std::vector<int> RoutingTable::channel_fds() const {
    std::vector<int> fds;
    for (const SiteState& site : sites_) {
        for (const WorkerChannel& worker : site.workers)
            fds.push_back(worker.channel.get());
    }
    return fds;
}

WorkerChannel* RoutingTable::least_busy(std::uint32_t site_id, const WorkerChannel* exclude) {
    WorkerChannel* best = nullptr;
    for (WorkerChannel& candidate : sites_[site_id].workers) {
        if (&candidate == exclude || !candidate.ready)
            continue;
        if (best == nullptr || candidate.load < best->load)
            best = &candidate;
    }
    return best;
}

}  // namespace bulkhead::dispatcher
