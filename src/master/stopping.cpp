// Graceful stop: the dispatcher first (it stops accepting and routes what it holds), then the
// workers (they finish every request in flight), all within server.shutdown_timeout; whatever
// is left then is killed.

#include <signal.h>

#include "base/log.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {

void Supervisor::begin_stop() {
    if (stopping_) return;
    stopping_ = true;
    Millis now = monotonic_ms();
    stop_deadline_ = now + static_cast<Millis>(config_.server.shutdown_timeout_ms);
    // Workers are told once the dispatcher is gone, or after it had a header timeout's time.
    workers_stop_at_ = now + static_cast<Millis>(config_.server.header_timeout_ms) + 1000;
    log::info("stopping gracefully (at most ", config_.server.shutdown_timeout_ms, " ms)");
    listeners_.clear();  // with the dispatcher's copies closed too, new connections are refused
    stop_standbys();
    if (dispatcher_slot().pid > 0) kill(dispatcher_slot().pid, SIGTERM);
}

void Supervisor::advance_stop() {
    Millis now = monotonic_ms();
    if (!workers_told_ && (dispatcher_slot().pid == 0 || now >= workers_stop_at_)) {
        workers_told_ = true;
        for (Slot& slot : slots_) {
            if (slot.pid > 0) kill(slot.pid, SIGTERM);
        }
    }
    bool any_running = false;
    for (Slot& slot : slots_) {
        if (slot.pid == 0) continue;
        any_running = true;
        if (now >= stop_deadline_) {
            log::warning(describe(slot), " did not stop within the shutdown timeout; killing it");
            kill(slot.pid, SIGKILL);
        }
    }
    if (!any_running && standbys_.empty()) done_ = true;
}

}  // namespace bulkhead::master
