#pragma once
// Which site owns a name, and which of its workers is least busy. Filled from the master's
// messages; holds the dispatcher's end of each worker's channel.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/unique_fd.hpp"
#include "proto/host.hpp"

namespace bulkhead::dispatcher {

struct WorkerChannel {
    std::uint32_t worker_id = 0;
    std::uint32_t site_id = 0;
    UniqueFd channel;
    std::uint32_t load = 0;  // connections: last report plus handoffs since
    Millis idle_since = 0;   // when its load last fell to zero; 0 while it has connections
    bool ready = false;      // it has reported (its first report means it is serving)
};

// A site's pool policy, and the connections waiting for its first worker.
struct SiteState {
    std::string name;
    std::uint32_t min_workers = 1;
    std::uint32_t max_workers = 4;
    std::uint32_t idle_ms = 60'000;
    std::uint32_t max_connections = 1000;
    bool tls = false;  // it has [site.tls]: only such a site can terminate a TLS connection
    std::vector<std::pair<int, std::uint32_t>> waiting;  // descriptor, generation
    Millis asked_at = 0;  // when the master was last asked for a worker; 0: not asked
    std::vector<WorkerChannel> workers;  // few per site: a linear scan beats a map
};

class RoutingTable {
  public:
    void add_site(std::uint32_t site_id, SiteState state);
    SiteState& site(std::uint32_t site_id) { return sites_[site_id]; }
    std::uint32_t worker_count(std::uint32_t site_id) const;  // attached, ready or not
    std::uint32_t ready_count(std::uint32_t site_id) const;
    std::uint64_t connections(std::uint32_t site_id) const;  // summed load of its workers
    std::vector<SiteState>& sites() { return sites_; }
    bool add_host(std::string_view pattern, std::uint32_t site_id);
    bool has_site(std::uint32_t site_id) const;
    const std::string& site_name(std::uint32_t site_id) const;

    // nullopt for a name no site owns. `host` must be normalized.
    std::optional<std::uint32_t> route(std::string_view host) const { return hosts_.find(host); }
    // The same lookup for a TLS server name: nullopt also when the site that owns the name
    // has no TLS. A name belongs to one site; another site whose wildcard certificate happens
    // to cover it must not answer for it.
    std::optional<std::uint32_t> route_tls(std::string_view host) const;
    bool terminates_tls(std::uint32_t site_id) const {
        return has_site(site_id) && sites_[site_id].tls;
    }

    WorkerChannel& attach(std::uint32_t site_id, std::uint32_t worker_id, UniqueFd channel);
    void detach(std::uint32_t worker_id);  // closes the channel
    WorkerChannel* worker(std::uint32_t worker_id);
    WorkerChannel* worker_by_channel(int channel_fd);
    std::vector<int> channel_fds() const;
    // The worker of the site with the smallest load, skipping `exclude`; nullptr if none.
    WorkerChannel* least_busy(std::uint32_t site_id, const WorkerChannel* exclude = nullptr);

  private:
    proto::HostTable hosts_;
    std::vector<SiteState> sites_;  // by site id
    // Which site a worker (by id, by channel) belongs to: routing work per connection then
    // looks at that site's workers only, however many sites there are.
    std::unordered_map<std::uint32_t, std::uint32_t> site_of_worker_;
    std::unordered_map<int, std::uint32_t> site_of_channel_;
    WorkerChannel* find_in_site(std::uint32_t site_id, std::uint32_t worker_id);
};

}  // namespace bulkhead::dispatcher
