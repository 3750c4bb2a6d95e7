// Messages from the master after start-up: reopened log files (SIGUSR1, after rotation), and
// the site's rotated session-ticket keys. A new log descriptor takes the old one's number, so
// every writer (the access log, stderr) goes on writing to the new file without knowing.

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include "base/log.hpp"
#include "ipc/fd_numbers.hpp"
#include "ipc/master_worker.hpp"
#include "worker/intake.hpp"
#include "worker/worker_loop.hpp"

namespace bulkhead::worker {

void WorkerLoop::on_master_message() {
    std::byte buffer[sizeof(ipc::WorkerTicketKey) + 16];
    auto datagram = ipc::receive_datagram(ipc::fds::kWorkerMaster, buffer);
    if (!datagram) {
        if (datagram.error() == ipc::ChannelError::would_block)
            return;
        // The master is gone (or broke the protocol): finish what we have and stop.
        log::error("master channel: ", ipc::describe(datagram.error()), "; stopping");
        epoll_.remove(ipc::fds::kWorkerMaster);
        begin_stop();
        return;
    }
    std::span<const std::byte> bytes(buffer, datagram->size);
    auto type = ipc::peek_type(bytes, ipc::MasterWorkerType::end_);
    if (type == ipc::MasterWorkerType::ticket_key && tls_) {
        if (auto key = ipc::decode<ipc::WorkerTicketKey>(bytes, datagram->fd.valid())) {
            TicketKey copy = ticket_key_of(*key);
            tls_->add_ticket_key(copy);
            OPENSSL_cleanse(&copy, sizeof copy);
            OPENSSL_cleanse(&*key, sizeof *key);
            OPENSSL_cleanse(buffer, sizeof buffer);
            return;
        }
    }
    auto message = ipc::decode<ipc::WorkerLogFile>(bytes, datagram->fd.valid());
    if (!message ||
        (message->which != ipc::LogFile::access && message->which != ipc::LogFile::error)) {
        log::error("master channel: unexpected message after start-up; stopping");
        epoll_.remove(ipc::fds::kWorkerMaster);
        begin_stop();
        return;
    }
    bool access = message->which == ipc::LogFile::access;
    if (access)
        access_log_.flush();  // what was logged so far belongs in the old file
    int target = access ? ipc::fds::kWorkerAccessLog : ipc::fds::kWorkerErrorLog;
    // The new descriptor takes the old number. The access log stays close-on-exec; the error
    // log is stderr, which the FastCGI applications write to on purpose.
    if (dup3(datagram->fd.get(), target, access ? O_CLOEXEC : 0) < 0)
        log::error("reopening a log: ", log::errno_text(errno));
}

}  // namespace bulkhead::worker
