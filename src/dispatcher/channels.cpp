// Messages on the dispatcher's channels: the master's (table changes) and the workers'
// (handbacks and load reports). A malformed message from the master is fatal for the
// dispatcher; one from a worker makes the dispatcher drop that worker and tell the master.

#include <cstring>

#include "base/log.hpp"
#include "dispatcher/dispatcher.hpp"

namespace bulkhead::dispatcher {

void Dispatcher::on_master_message() {
    auto datagram = ipc::receive_datagram(master_.get(), message_buffer_);
    if (!datagram) {
        if (datagram.error() == ipc::ChannelError::would_block)
            return;
        log::info("master channel: ", ipc::describe(datagram.error()), "; exiting");
        done_ = true;
        return;
    }
    std::span<const std::byte> bytes(message_buffer_.data(), datagram->size);
    bool has_fd = datagram->fd.valid();
    auto type = ipc::peek_type(bytes, ipc::MasterDispatcherType::end_);
    if (type == ipc::MasterDispatcherType::worker_attach) {
        auto attach = ipc::decode<ipc::WorkerAttach>(bytes, has_fd);
        if (attach && table_.has_site(attach->site_id)) {
            int fd = datagram->fd.get();
            table_.attach(attach->site_id, attach->worker_id, std::move(datagram->fd));
            epoll_.add(fd, EPOLLIN, token(Kind::worker, fd));
            return;
        }
    } else if (type == ipc::MasterDispatcherType::worker_detach) {
        if (auto detach = ipc::decode<ipc::WorkerDetach>(bytes, has_fd)) {
            if (WorkerChannel* worker = table_.worker(detach->worker_id)) {
                epoll_.remove(worker->channel.get());
                table_.detach(detach->worker_id);
            }
            return;
        }
    }
    // Only the master writes here, and only these two messages are legal after ready.
    log::error("master channel: unexpected or malformed message; exiting");
    done_ = true;
}

void Dispatcher::on_worker_message(int channel_fd) {
    WorkerChannel* worker = table_.worker_by_channel(channel_fd);
    if (worker == nullptr)
        return;
    auto datagram = ipc::receive_datagram(channel_fd, message_buffer_);
    if (!datagram) {
        if (datagram.error() == ipc::ChannelError::would_block)
            return;
        if (datagram.error() != ipc::ChannelError::closed)
            report_violation(worker->worker_id);
        epoll_.remove(channel_fd);
        table_.detach(worker->worker_id);  // the worker is gone; the master will say so too
        return;
    }
    std::span<const std::byte> bytes(message_buffer_.data(), datagram->size);
    bool has_fd = datagram->fd.valid();
    auto type = ipc::peek_type(bytes, ipc::DispatcherWorkerType::end_);
    if (type == ipc::DispatcherWorkerType::load) {
        if (auto load = ipc::decode<ipc::WorkerLoad>(bytes, has_fd)) {
            worker->load = load->connections;
            if (!worker->ready) {
                worker->ready = true;
                release_waiting(worker->site_id);  // connections waiting for a first worker
            }
            return;
        }
    } else if (type == ipc::DispatcherWorkerType::handback) {
        auto handback = ipc::decode_with_tail<ipc::Handback>(bytes, has_fd);
        // A TLS connection cannot come back: its session state lives in the worker, and no
        // other site may continue it (inside TLS a foreign Host gets 421 instead).
        bool tls = handback && (handback->flags & ipc::kConnectionTls) != 0;
        if (handback && !tls && is_tcp_socket(datagram->fd.get())) {
            std::string carried(reinterpret_cast<const char*>(bytes.data()) + sizeof(ipc::Handback),
                                handback->tail_bytes);
            if (worker->load > 0)
                --worker->load;
            // The addresses come from the socket itself, not from the worker's word.
            ipc::ConnectionMeta meta = connection_meta(datagram->fd.get());
            admit(std::move(datagram->fd), meta, 0, std::move(carried), false);
            return;
        }
    }
    report_violation(worker->worker_id);
    epoll_.remove(channel_fd);
    table_.detach(worker->worker_id);
}

void Dispatcher::report_violation(std::uint32_t worker_id) {
    log::error("worker ", worker_id, " broke the dispatcher_worker protocol; dropping its channel");
    ipc::PeerViolation violation;
    violation.worker_id = worker_id;
    auto sent = ipc::send_datagram(master_.get(), ipc::bytes_of(violation));
    (void)sent;  // if the master cannot hear us, it will see the channel close instead
}

}  // namespace bulkhead::dispatcher
