// Messages from the master after start-up: reopened log files (SIGUSR1, after rotation). The
// new descriptor takes the old one's number, so every writer (the access log, stderr) goes on
// writing to the new file without knowing.

#include <unistd.h>

#include "base/log.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/master_worker.hpp"
#include "worker/worker_loop.hpp"

namespace bulkhead::worker {

void WorkerLoop::on_master_message() {
    std::byte buffer[64];
    auto datagram = ipc::receive_datagram(ipc::fds::kWorkerMaster, buffer);
    if (!datagram) {
        if (datagram.error() == ipc::ChannelError::would_block) return;
        // The master is gone (or broke the protocol): finish what we have and stop.
        log::error("master channel: ", ipc::describe(datagram.error()), "; stopping");
        epoll_.remove(ipc::fds::kWorkerMaster);
        begin_stop();
        return;
    }
    auto message = ipc::decode<ipc::WorkerLogFile>(std::span<const std::byte>(buffer, datagram->size),
                                                   datagram->fd.valid());
    if (!message || (message->which != ipc::LogFile::access && message->which != ipc::LogFile::error)) {
        log::error("master channel: unexpected message after start-up; stopping");
        epoll_.remove(ipc::fds::kWorkerMaster);
        begin_stop();
        return;
    }
    bool access = message->which == ipc::LogFile::access;
    if (access) access_log_.flush();  // what was logged so far belongs in the old file
    int target = access ? ipc::fds::kWorkerAccessLog : ipc::fds::kWorkerErrorLog;
    if (dup2(datagram->fd.get(), target) < 0) log::error("reopening a log: ", log::errno_text(errno));
}

}  // namespace bulkhead::worker
