#include "worker/worker_loop.hpp"

#include <signal.h>

#include <algorithm>

#include "base/log.hpp"
#include "base/signals.hpp"
#include "ipc/dispatcher_worker.hpp"

namespace bulkhead::worker {
namespace {

constexpr int kMaxEvents = 256;
constexpr Millis kLoadReportIntervalMs = 20;

}  // namespace

WorkerLoop::WorkerLoop(Site& site, const StaticFiles& files, int dispatcher_channel,
                       int access_log_fd)
    : site_(site),
      files_(files),
      dispatcher_(dispatcher_channel),
      access_log_(access_log_fd),
      signals_(block_into_signalfd({SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGPIPE})),
      message_buffer_(sizeof(ipc::Handoff) + ipc::kMaxCarriedBytes) {}

int WorkerLoop::run() {
    epoll_.add(dispatcher_, EPOLLIN, token(Kind::dispatcher, dispatcher_));
    epoll_.add(signals_.get(), EPOLLIN, token(Kind::signals, signals_.get()));
    epoll_event events[kMaxEvents];
    while (!done_) {
        Millis now = monotonic_ms();
        int timeout =
            timers_.empty()
                ? 1000
                : static_cast<int>(std::clamp<Millis>(std::get<0>(timers_.top()) - now, 0, 1000));
        if (connection_count_ != reported_count_ && !stopping_) {
            timeout = std::min(timeout, static_cast<int>(kLoadReportIntervalMs));
        }
        int ready = epoll_.wait(events, timeout);
        for (int i = 0; i < ready; ++i) {
            int fd = static_cast<int>(events[i].data.u64 & 0xffffffff);
            switch (static_cast<Kind>(events[i].data.u64 >> 32)) {
                case Kind::dispatcher:
                    on_dispatcher_message();
                    break;
                case Kind::signals:
                    on_signal();
                    break;
                case Kind::connection:
                    if (fd < static_cast<int>(connections_.size()) && connections_[fd]) {
                        drive(fd, connections_[fd]->advance());
                    }
                    break;
            }
        }
        expire_deadlines();
        access_log_.flush();
        report_load();
        if (stopping_ && connection_count_ == 0)
            done_ = true;
    }
    access_log_.flush();
    return 0;
}

void WorkerLoop::on_dispatcher_message() {
    for (int i = 0; i < 64; ++i) {  // several handoffs per wakeup, but bounded
        auto datagram = ipc::receive_datagram(dispatcher_, message_buffer_);
        if (!datagram) {
            if (datagram.error() == ipc::ChannelError::would_block)
                return;
            // The master holds the other end across dispatcher restarts; it closing means
            // the master is gone. A malformed message means a broken peer: stop either way.
            log::error("dispatcher channel: ", ipc::describe(datagram.error()), "; stopping");
            epoll_.remove(dispatcher_);
            begin_stop();
            return;
        }
        std::span<const std::byte> bytes(message_buffer_.data(), datagram->size);
        auto handoff = ipc::decode_with_tail<ipc::Handoff>(bytes, datagram->fd.valid());
        if (!handoff) {
            log::error("dispatcher channel: ", ipc::describe(handoff.error()), "; stopping");
            epoll_.remove(dispatcher_);
            begin_stop();
            return;
        }
        std::string carried(reinterpret_cast<const char*>(bytes.data()) + sizeof(ipc::Handoff),
                            handoff->tail_bytes);
        adopt(std::move(datagram->fd), handoff->meta, handoff->flags, std::move(carried));
    }
}

void WorkerLoop::adopt(UniqueFd socket, const ipc::ConnectionMeta& meta, std::uint16_t flags,
                       std::string carried) {
    int fd = socket.get();
    if (fd >= static_cast<int>(connections_.size())) {
        connections_.resize(fd + 1);
        interest_.resize(fd + 1);
        scheduled_.resize(fd + 1);
    }
    connections_[fd] =
        std::make_unique<Connection>(std::move(socket), meta, flags, std::move(carried),
                                     ConnectionContext{site_, files_, access_log_});
    ++connection_count_;
    interest_[fd] = 0;
    scheduled_[fd] = 0;
    // Served at once, before registering: the dispatcher saw the whole head, so a short
    // request is often answered and, with "Connection: close", finished without epoll at all.
    Connection::Verdict verdict = connections_[fd]->advance();
    if (stopping_ && verdict == Connection::Verdict::keep)
        verdict = connections_[fd]->stop_keep_alive();
    drive(fd, verdict);
}

// Applies a connection's verdict: keep (re-arm its events and timer), close or hand back.
void WorkerLoop::drive(int fd, Connection::Verdict verdict) {
    Connection& connection = *connections_[fd];
    if (verdict == Connection::Verdict::close)
        return close_connection(fd);
    if (verdict == Connection::Verdict::handback)
        return hand_back(connection);
    std::uint32_t events = EPOLLIN | EPOLLRDHUP | (connection.wants_write() ? EPOLLOUT : 0);
    if (interest_[fd] == 0) {
        epoll_.add(fd, events, token(Kind::connection, fd));
    } else if (interest_[fd] != events) {
        epoll_.modify(fd, events, token(Kind::connection, fd));
    }
    interest_[fd] = events;
    schedule(connection);
}

void WorkerLoop::hand_back(Connection& connection) {
    int fd = connection.fd();
    std::string carried = connection.unconsumed();
    ipc::Handback handback;
    handback.flags = connection.flags();
    handback.meta = connection.meta();
    handback.tail_bytes = static_cast<std::uint32_t>(carried.size());
    std::span<const std::byte> tail(reinterpret_cast<const std::byte*>(carried.data()),
                                    carried.size());
    if (carried.size() > ipc::kMaxCarriedBytes ||
        !ipc::send_datagram(dispatcher_, ipc::bytes_of(handback), tail, fd)) {
        log::warning("could not hand a connection back to the dispatcher; closing it");
    }
    close_connection(fd);
}

void WorkerLoop::close_connection(int fd) {
    if (interest_[fd] != 0) epoll_.remove(fd);
    interest_[fd] = 0;
    connections_[fd].reset();
    --connection_count_;
}

void WorkerLoop::schedule(Connection& connection) {
    int fd = connection.fd();
    Millis deadline = connection.deadline();
    if (scheduled_[fd] != 0 && scheduled_[fd] <= deadline)
        return;  // an earlier entry will wake us
    scheduled_[fd] = deadline;
    timers_.emplace(deadline, fd);
}

void WorkerLoop::expire_deadlines() {
    Millis now = monotonic_ms();
    while (!timers_.empty() && std::get<0>(timers_.top()) <= now) {
        auto [when, fd] = timers_.top();
        timers_.pop();
        if (fd >= static_cast<int>(connections_.size()) || !connections_[fd] ||
            scheduled_[fd] != when) {
            continue;  // closed, or superseded by an earlier entry
        }
        scheduled_[fd] = 0;
        Connection& connection = *connections_[fd];
        if (connection.deadline() > now) {
            schedule(connection);  // the deadline moved on since this entry was made
        } else {
            drive(fd, connection.on_timeout());
        }
    }
}

// Load reports are throttled: the dispatcher counts its own hand-offs between reports, so a
// report per connection would cost a message each way for little better balance.
void WorkerLoop::report_load() {
    if (connection_count_ == reported_count_ || stopping_) return;
    Millis now = monotonic_ms();
    if (now - last_report_ < kLoadReportIntervalMs) return;
    ipc::WorkerLoad load;
    load.connections = static_cast<std::uint32_t>(connection_count_);
    if (ipc::send_datagram(dispatcher_, ipc::bytes_of(load))) {
        reported_count_ = connection_count_;
        last_report_ = now;
    }
}

void WorkerLoop::on_signal() {
    while (int signal_number = read_signal(signals_.get())) {
        if (signal_number == SIGTERM || signal_number == SIGINT)
            begin_stop();
        if (signal_number == SIGQUIT)
            done_ = true;
    }
}

// Graceful stop: take what the dispatcher already sent, finish every request in flight,
// close idle keep-alive connections. The master's shutdown_timeout bounds how long.
void WorkerLoop::begin_stop() {
    if (stopping_)
        return;
    stopping_ = true;
    for (std::size_t fd = 0; fd < connections_.size(); ++fd) {
        if (connections_[fd])
            drive(static_cast<int>(fd), connections_[fd]->stop_keep_alive());
    }
}

}  // namespace bulkhead::worker
