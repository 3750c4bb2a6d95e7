#pragma once
// The FastCGI applications of one worker, and the connections to them.
//
// Spawned (site.fastcgi.command): each worker runs `processes` application processes of its
// own, as the site and inside its confinement, each with its own listening socket in the
// site's private /tmp (/tmp/.bulkhead-fastcgi-<worker id>-<n>.sock, passed as descriptor 0
// as the FastCGI specification asks). The worker keeps one connection per process
// (FCGI_KEEP_CONN) and sends it one request at a time, so a process never waits for a
// connection another request holds; requests beyond that queue here. A process that exits is
// replaced (at once, or with a back-off while it keeps dying young); the listening socket
// stays, so connections waiting in its backlog reach the replacement. The processes end with
// the worker (SIGTERM at stop, PR_SET_PDEATHSIG if it dies).
//
// Per worker rather than per pool: the worker that uses an application also supervises it,
// with no election or hand-over between workers when one is replaced or the pool shrinks.
// A site with workers.max = W runs at most W × processes application processes.
//
// External (site.fastcgi.socket): connections to that server, at most `processes` at once per
// worker; idle ones are kept briefly for the next request.

#include <sys/types.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "worker/reactor.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

// A connection to an application, lent to one request at a time.
struct AppLease {
    UniqueFd socket;
    int slot = -1;  // the spawned process it leads to; -1 for an external server
};

class AppWaiter {
  public:
    virtual void on_app_ready(AppLease lease) = 0;
    virtual void on_app_down() = 0;  // no application process is left to wait for

  protected:
    ~AppWaiter() = default;
};

class AppPool final : public IoHandler, public ChildObserver, public Ticker {
  public:
    AppPool(const Site& site, Reactor& reactor);
    ~AppPool();
    AppPool(const AppPool&) = delete;
    AppPool& operator=(const AppPool&) = delete;

    // Spawns the applications (nothing to do for an external server). Called by the first
    // acquire(); later calls do nothing.
    void start();
    // SIGTERM to every application, SIGKILL to those still there after a grace period.
    void stop();

    enum class Acquired { ready, queued, down };
    // ready: `lease` is set. queued: waiter.on_app_ready() follows (or on_app_down()).
    // down: no application can be reached (answer 503).
    Acquired acquire(AppWaiter& waiter, AppLease& lease);
    void cancel(AppWaiter& waiter);
    // The request on `lease` ended; its connection serves the next one if `reusable`.
    void release(AppLease lease, bool reusable);
    // The application did not answer in time: a spawned one is killed and replaced.
    void give_up(AppLease lease);

    void on_io(int fd, std::uint32_t events) override;
    void on_child_exit(pid_t pid, int wait_status) override;
    Millis next_tick() const override;
    void on_tick(Millis now) override;

  private:
    bool started_ = false;
    struct Slot {
        std::string path;
        UniqueFd listener;
        pid_t pid = 0;
        Millis started = 0;
        Millis restart_at = kNever;
        int quick_exits = 0;
        bool busy = false;
        bool killed = false;  // by us, after a timeout: replace at once
        UniqueFd idle;        // its kept connection while no request uses it
    };
    struct IdleConnection {
        UniqueFd socket;
        Millis since = 0;
    };

    bool spawned() const { return !settings_.command.empty(); }
    bool open_listener(Slot& slot);
    void spawn_slot(Slot& slot);
    std::vector<std::string> application_arguments() const;
    std::vector<std::string> application_environment() const;
    std::optional<AppLease> lease_spawned();
    std::optional<AppLease> lease_external(bool& down);
    bool any_alive() const;
    void grant_waiting();
    void fail_waiting();
    void keep_idle(UniqueFd& into, UniqueFd socket);

    const Site& site_;
    const FastCgiSettings& settings_;
    Reactor& reactor_;
    UniqueFd null_device_;
    std::vector<Slot> slots_;
    std::vector<IdleConnection> external_idle_;
    std::uint32_t external_active_ = 0;
    std::deque<AppWaiter*> waiting_;
    bool stopping_ = false;
};

}  // namespace bulkhead::worker
