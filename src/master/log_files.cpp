// SIGUSR1: open every site's log files again (after logrotate moved them away) and give the
// new descriptors to the site's running workers, which put them in place of the old ones.

#include "base/log.hpp"
#include "ipc/master_worker.hpp"
#include "master/supervisor.hpp"

namespace bulkhead::master {

void Supervisor::reopen_logs() {
    std::size_t workers = 0;
    for (std::uint32_t site_id = 0; site_id < sites_.size(); ++site_id) {
        SiteLogs logs;
        try {
            logs = open_site_logs(config_.server, *sites_[site_id].config);
        } catch (const std::exception& error) {
            log::error("SIGUSR1: ", error.what(), "; site ", sites_[site_id].config->name,
                       " keeps writing to its old log files");
            continue;
        }
        for (const Slot& slot : slots_) {
            if (slot.role != Role::worker || slot.site_id != site_id || slot.pid == 0 || slot.retiring) continue;
            for (auto [which, fd] : {std::pair{ipc::LogFile::access, logs.access.get()},
                                     std::pair{ipc::LogFile::error, logs.error.get()}}) {
                ipc::WorkerLogFile message;
                message.which = which;
                auto sent = ipc::send_datagram(slot.channel.get(), ipc::bytes_of(message), fd);
                if (!sent) log::warning("could not give ", describe(slot), " its reopened log");
            }
            ++workers;
        }
        sites_[site_id].logs = std::move(logs);  // new workers get the new files
    }
    log::info("SIGUSR1: reopened the log files of ", sites_.size(), " site(s) for ", workers, " worker(s)");
}

}  // namespace bulkhead::master
