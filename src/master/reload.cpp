// SIGHUP: read the configuration file again. An invalid file is reported and changes nothing.
// A valid one starts a new generation: a new dispatcher with the new routing table, new
// workers for new and changed sites; unchanged sites keep their processes. The previous
// dispatcher then stops accepting and routes what it holds; once it has gone the workers of
// changed and removed sites are asked to finish their requests and stop. Whatever of the old
// generation still runs after server.shutdown_timeout is killed.

#include <signal.h>

#include <algorithm>
#include <stdexcept>

#include "base/log.hpp"
#include "config/load.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {
namespace {

// Server keys that every worker received at start: a change means every site is changed.
bool same_worker_settings(const config::ServerConfig& a, const config::ServerConfig& b) {
    return a.header_timeout_ms == b.header_timeout_ms &&
           a.keepalive_timeout_ms == b.keepalive_timeout_ms &&
           a.max_header_bytes == b.max_header_bytes && a.state_dir == b.state_dir &&
           a.min_site_uid == b.min_site_uid && a.min_site_gid == b.min_site_gid;
}

const config::SiteConfig* find_site(const config::Config& config, const std::string& name) {
    for (const config::SiteConfig& site : config.sites) {
        if (site.name == name)
            return &site;
    }
    return nullptr;
}

}  // namespace

// What a reload cannot change in a running server; "" if nothing.
std::string Supervisor::restart_needed(const config::Config& next) const {
    const config::ServerConfig& now = config_.server;
    const config::ServerConfig& then = next.server;
    auto texts = [](const std::vector<config::ListenAddress>& list) {
        std::vector<std::string> out;
        for (const auto& address : list)
            out.push_back(address.text);
        return out;
    };
    if (texts(now.listen) != texts(then.listen))
        return "server.listen";
    if (texts(now.tls_listen) != texts(then.tls_listen))
        return "server.tls_listen";
    if (now.uid != then.uid || now.gid != then.gid)
        return "server.user or server.group";
    if (now.state_dir != then.state_dir)
        return "server.state_dir";
    if (now.log_dir != then.log_dir)
        return "server.log_dir";
    return "";
}

void Supervisor::reload() {
    log::info("SIGHUP: reloading ", config_.path);
    auto loaded = config::load_config_file(config_.path);
    if (!loaded) {
        for (const config::Problem& problem : loaded.error())
            log::error("reload: ", problem.to_string());
        log::error("reload refused: ", loaded.error().size(),
                   " problem(s); the running configuration stays");
        return;
    }
    for (config::Problem problem : loaded->warnings.list) {
        problem.warning = false;  // the log line says "warning" already
        log::warning("reload: ", problem.to_string());
    }
    if (*loaded == config_) {
        log::info("reload: the configuration is unchanged; nothing to do");
        return;
    }
    if (std::string key = restart_needed(*loaded); !key.empty()) {
        log::error("reload refused: ", key,
                   " changed, which needs a restart; the running configuration stays");
        return;
    }
    config::Config previous_config = std::move(config_);
    std::vector<SiteRuntime> previous_sites = std::move(sites_);
    try {
        prepare_state_dirs(*loaded);
        config_ = std::move(*loaded);
        Cgroups cgroups(config_.server.state_dir);
        sites_.clear();
        for (const config::SiteConfig& site : config_.sites) {
            sites_.push_back(SiteRuntime{&site, open_site_logs(config_.server, site),
                                         cgroups.prepare_site(site)});
        }
    } catch (const std::exception& error) {
        config_ = std::move(previous_config);
        sites_ = std::move(previous_sites);
        for (std::size_t i = 0; i < sites_.size(); ++i)
            sites_[i].config = &config_.sites[i];
        log::error("reload refused: ", error.what(), "; the running configuration stays");
        return;
    }
    // Unchanged TLS sites keep their ticket keys: sessions resume across the reload.
    ticket_keys_.update(config_.sites, monotonic_ms());
    bool workers_same = same_worker_settings(previous_config.server, config_.server);
    // Workers of unchanged sites move into the new generation; the others retire.
    std::vector<bool> kept(sites_.size(), false);
    Millis kill_at = monotonic_ms() + static_cast<Millis>(config_.server.shutdown_timeout_ms);
    for (Slot& slot : slots_) {
        if (slot.role != Role::worker || slot.retiring)
            continue;
        const config::SiteConfig* before = find_site(previous_config, slot.site_name);
        const config::SiteConfig* after = find_site(config_, slot.site_name);
        if (workers_same && before && after && *before == *after) {
            slot.site_id = static_cast<std::uint32_t>(after - config_.sites.data());
            kept[slot.site_id] = true;
        } else {
            slot.retiring = true;
            slot.kill_at = kill_at;
        }
    }
    retire_previous_generation(std::move(previous_sites));
    std::size_t started = 0;
    for (std::uint32_t site_id = 0; site_id < sites_.size(); ++site_id) {
        if (kept[site_id])
            continue;
        std::uint32_t count = sites_[site_id].config->workers.min;
        for (std::uint32_t i = 0; i < count; ++i, ++started) {
            slots_.push_back(worker_slot(site_id, sites_[site_id].config->name));
            try {
                start_worker(slots_.back());
            } catch (const std::exception& error) {
                log::error(error.what());
                slots_.back().restart_at = monotonic_ms() + 1000;
            }
        }
    }
    start_dispatcher(dispatcher_slot());
    log::info("reloaded: ", sites_.size(), " site(s), ", started, " new worker(s); ",
              std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.retiring; }),
              " process(es) of the previous generation finishing");
}

// The old dispatcher becomes a retiring slot at the end; slot 0 is refilled by the caller.
void Supervisor::retire_previous_generation(std::vector<SiteRuntime> previous) {
    Slot& old = dispatcher_slot();
    if (old.channel)
        epoll_.remove(old.channel.get());
    Slot retiring = std::move(old);
    old = dispatcher_slot_template();
    retiring.retiring = true;
    retiring.kill_at = monotonic_ms() + static_cast<Millis>(config_.server.shutdown_timeout_ms);
    if (retiring.pid > 0) {
        kill(retiring.pid, SIGTERM);
        retiring.told_to_stop = true;
        slots_.push_back(std::move(retiring));
    }
    for (SiteRuntime& site : previous)
        retired_cgroups_.push_back(std::move(site.cgroup));
}

// Called every turn of the loop: retiring workers are told to stop once the old dispatcher
// is gone (so it can still hand them what it holds), and killed at the deadline.
void Supervisor::advance_retirement() {
    Millis now = monotonic_ms();
    bool dispatcher_left = std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) {
        return s.retiring && s.role == Role::dispatcher && s.pid > 0;
    });
    for (Slot& slot : slots_) {
        if (!slot.retiring || slot.pid == 0)
            continue;
        // Only once the old dispatcher is gone: until then it may still hand them connections.
        // If it never goes, its kill_at (the shutdown timeout) ends it, and then these.
        if (!slot.told_to_stop && !dispatcher_left) {
            kill(slot.pid, SIGTERM);
            slot.told_to_stop = true;
        }
        if (slot.kill_at != 0 && now >= slot.kill_at) {
            log::warning(describe(slot), " did not finish within the shutdown timeout; killing it");
            kill(slot.pid, SIGKILL);
        }
    }
}

}  // namespace bulkhead::master
