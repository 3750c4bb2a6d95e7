#pragma once
// The master's supervisor: starts the dispatcher and every site's workers, replaces whatever
// dies (with back-off), and stops everything gracefully. It reads only its children's exit
// statuses, signals, and the dispatcher's fixed-size reports; never a client's byte.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/epoll.hpp"
#include "base/unique_fd.hpp"
#include "config/model.hpp"
#include "master/cgroups.hpp"
#include "master/filesystem.hpp"
#include "master/listeners.hpp"
#include "master/role_plans.hpp"
#include "master/ticket_keys.hpp"

namespace bulkhead::master {

struct Executables {
    std::string dispatcher;  // absolute paths, checked to be reachable by unprivileged users
    std::string worker;
    UniqueFd dispatcher_fd;  // O_PATH descriptors of them: executed by descriptor
    UniqueFd worker_fd;
};

class Supervisor {
  public:
    Supervisor(config::Config config, std::vector<Listener> listeners, std::string jail_dir,
               Executables executables);
    ~Supervisor();  // removes the sites' cgroups
    // Runs until a graceful stop completes (0) or SIGQUIT (0). Start-up failures throw.
    int run();

  private:
    enum class Role { dispatcher, worker };

    // One supervised process. A slot outlives the processes that fill it: a replacement
    // takes the same slot with new channels.
    struct Slot {
        Role role = Role::worker;
        std::uint32_t site_id = 0;    // index into sites_ (of the current generation)
        std::string site_name;        // workers: for messages, also once retired
        std::uint32_t worker_id = 0;  // workers: new with every process
        pid_t pid = 0;                // 0: not running
        UniqueFd channel;             // the master's end of master_worker / master_dispatcher
        UniqueFd dispatcher_end;      // workers: the dispatcher's end of dispatcher_worker
        Millis started = 0;
        Millis restart_at = 0;        // when not running: when to start again
        unsigned rapid_failures = 0;  // exits soon after start, for back-off
        bool retiring = false;        // finishing, not to be replaced (old generation, or idle)
        bool told_to_stop = false;
        Millis kill_at = 0;  // retiring: killed if still running then
    };

    static Slot worker_slot(std::uint32_t site_id, std::string site_name) {
        Slot slot;
        slot.site_id = site_id;
        slot.site_name = std::move(site_name);
        return slot;
    }
    static Slot dispatcher_slot_template() {
        Slot slot;
        slot.role = Role::dispatcher;
        return slot;
    }

    struct SiteRuntime {
        const config::SiteConfig* config = nullptr;
        SiteLogs logs;
        SiteCgroup cgroup;
    };

    // A worker executed ahead of need, root and site-less until given a site (standby.cpp).
    struct Standby {
        pid_t pid = 0;
        UniqueFd channel;     // the master's end of master_worker
        bool killed = false;  // sent SIGKILL (stop, or fewer wanted); waiting to be reaped
    };

    void start_worker(Slot& slot);
    void start_dispatcher(Slot& slot);
    void send_worker_intake(const Slot& slot);
    void send_dispatcher_intake(const Slot& slot);
    void attach_to_dispatcher(const Slot& worker);
    void detach_from_dispatcher(const Slot& worker);

    void on_signal();
    void reload();              // reload.cpp
    void reopen_logs();         // log_files.cpp
    void rotate_ticket_keys();  // ticket_rotation.cpp
    std::string restart_needed(const config::Config& next) const;
    void retire_previous_generation(std::vector<SiteRuntime> previous);
    void advance_retirement();
    void reap_children();
    void on_exit(Slot& slot, int wait_status);
    void restart_due();
    void on_dispatcher_report();
    bool on_pool_message(std::span<const std::byte> bytes, bool has_fd);  // pools.cpp
    void grow_pool(std::uint32_t site_id);
    void shrink_pool(std::uint32_t worker_id);
    std::uint32_t live_workers(std::uint32_t site_id) const;
    void keep_standbys();  // standby.cpp
    bool start_standby();
    std::optional<Standby> take_standby();
    bool assign_standby(const Standby& standby, const SiteRuntime& site,
                        const RoleDescriptors& descriptors);
    bool on_standby_exit(pid_t pid, int wait_status);
    void stop_standbys();
    std::size_t waiting_standbys() const;
    void begin_stop();
    void advance_stop();
    int next_timeout_ms() const;
    Slot* slot_by_pid(pid_t pid);
    Slot& dispatcher_slot() { return slots_.front(); }  // the current generation's
    std::string describe(const Slot& slot) const;

    config::Config config_;  // the running configuration; replaced by a successful reload
    std::vector<Listener> listeners_;
    std::uint16_t https_port_ = 443;  // of the first tls_listen address, for redirects
    TicketKeys ticket_keys_;
    std::string jail_dir_;
    Executables executables_;
    std::vector<SiteRuntime> sites_;
    std::vector<Slot> slots_;  // [0] is the dispatcher
    UniqueFd null_device_;
    UniqueFd signals_;
    Epoll epoll_;
    std::uint32_t next_worker_id_ = 1;
    bool stopping_ = false;
    bool workers_told_ = false;
    Millis stop_deadline_ = 0;
    Millis workers_stop_at_ = 0;
    bool done_ = false;
    int exit_status_ = 0;
    std::vector<SiteCgroup> retired_cgroups_;
    std::vector<Standby> standbys_;
    Millis standby_retry_at_ = 0;
    unsigned standby_failures_ = 0;  // died unasked in a row, for back-off
};

}  // namespace bulkhead::master
