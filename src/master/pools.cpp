// Pools on demand: the dispatcher asks for a worker when a site has none (workers.min = 0) or
// all of its workers are loaded, and reports workers above the minimum that sat idle. The
// master decides, within workers.min and workers.max; the dispatcher only asks.

#include <signal.h>

#include <algorithm>

#include "base/log.hpp"
#include "ipc/master_dispatcher.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {

std::uint32_t Supervisor::live_workers(std::uint32_t site_id) const {
    return static_cast<std::uint32_t>(std::count_if(slots_.begin(), slots_.end(), [site_id](const Slot& s) {
        return s.role == Role::worker && !s.retiring && s.site_id == site_id;
    }));
}

void Supervisor::grow_pool(std::uint32_t site_id) {
    if (site_id >= sites_.size() || stopping_) return;
    const config::SiteConfig& site = *sites_[site_id].config;
    if (live_workers(site_id) >= site.workers.max) return;
    slots_.push_back(worker_slot(site_id, site.name));
    try {
        start_worker(slots_.back());
    } catch (const std::exception& error) {
        log::error(error.what());
        slots_.back().restart_at = monotonic_ms() + 1000;
    }
}

void Supervisor::shrink_pool(std::uint32_t worker_id) {
    auto slot = std::find_if(slots_.begin(), slots_.end(), [worker_id](const Slot& s) {
        return s.role == Role::worker && !s.retiring && s.worker_id == worker_id && s.pid > 0;
    });
    if (slot == slots_.end()) return;
    if (live_workers(slot->site_id) <= sites_[slot->site_id].config->workers.min) return;
    log::info(describe(*slot), " has been idle; stopping it");
    slot->retiring = true;  // finishes what it has, exits, and is not replaced
    slot->told_to_stop = true;
    slot->kill_at = monotonic_ms() + static_cast<Millis>(config_.server.shutdown_timeout_ms);
    kill(slot->pid, SIGTERM);
}

// Returns true if the message was one of the pool's.
bool Supervisor::on_pool_message(std::span<const std::byte> bytes, bool has_fd) {
    auto type = ipc::peek_type(bytes, ipc::MasterDispatcherType::end_);
    if (type == ipc::MasterDispatcherType::want_worker) {
        if (auto want = ipc::decode<ipc::WantWorker>(bytes, has_fd)) {
            grow_pool(want->site_id);
            return true;
        }
    } else if (type == ipc::MasterDispatcherType::worker_idle) {
        if (auto idle = ipc::decode<ipc::WorkerIdle>(bytes, has_fd)) {
            shrink_pool(idle->worker_id);
            return true;
        }
    }
    return false;
}

}  // namespace bulkhead::master
