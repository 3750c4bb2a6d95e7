// Every turn of the supervisor's loop: sites whose newest session-ticket key is 12 hours old
// get a new one (ticket_keys.cpp), sent at once to each of the site's running workers, which
// encrypt new tickets with it and still accept tickets of the keys before.

#include "base/log.hpp"
#include "ipc/channel.hpp"
#include "ipc/master_worker.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {

void Supervisor::rotate_ticket_keys() {
    for (const std::string& site : ticket_keys_.rotate_due(monotonic_ms())) {
        const ipc::WorkerTicketKey& newest = ticket_keys_.keys_of(site).back();
        std::size_t workers = 0;
        for (const Slot& slot : slots_) {
            if (slot.role != Role::worker || slot.site_name != site || slot.pid == 0 ||
                slot.retiring || !slot.channel) {
                continue;
            }
            // Not waiting: a worker whose channel is full would stall the supervisor. One that
            // misses the key still resumes with the older ones, and its successor gets all.
            if (ipc::send_datagram(slot.channel.get(), ipc::bytes_of(newest), -1)) {
                ++workers;
            } else {
                log::warning("could not give ", describe(slot), " its new session-ticket key");
            }
        }
        log::info("site ", site, ": new session-ticket key, sent to ", workers, " worker(s)");
    }
}

}  // namespace bulkhead::master
