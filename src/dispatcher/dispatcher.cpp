#include "dispatcher/dispatcher.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>

#include "base/log.hpp"
#include "base/signals.hpp"
#include "proto/client_hello.hpp"

namespace bulkhead::dispatcher {
namespace {

constexpr int kMaxEvents = 256;
constexpr int kAcceptBurst = 64;  // accepts per readiness, so one listener cannot starve others

}  // namespace

ipc::ConnectionMeta connection_meta(int socket, const sockaddr_storage* peer) {
    ipc::ConnectionMeta meta;
    if (peer != nullptr) {
        // Fresh from accept: the local address is left for the worker to ask the socket
        // when it needs it, which saves a system call on every connection.
        meta.client = ipc::endpoint_from(*peer);
        return meta;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        meta.client = ipc::endpoint_from(address);
    }
    length = sizeof address;
    if (getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        meta.local = ipc::endpoint_from(address);
    }
    return meta;
}

bool is_tcp_socket(int fd) {
    int type = 0, domain = 0;
    socklen_t length = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0)
        return false;
    length = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0)
        return false;
    return type == SOCK_STREAM && (domain == AF_INET || domain == AF_INET6);
}

Dispatcher::Dispatcher(Settings settings, RoutingTable table, std::vector<Listener> listeners,
                       ProxyTrust proxy_trust, UniqueFd master_channel)
    : settings_(settings),
      table_(std::move(table)),
      listeners_(std::move(listeners)),
      proxy_trust_(std::move(proxy_trust)),
      master_(std::move(master_channel)),
      signals_(block_into_signalfd({SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE})),
      // Room for the largest head plus carried bytes, and for the largest ClientHello.
      peek_buffer_(std::max<std::size_t>(settings.max_header_bytes + ipc::kMaxCarriedBytes + 1,
                                         proto::kMaxClientHelloBytes)),
      message_buffer_(sizeof(ipc::Handback) + ipc::kMaxCarriedBytes) {}

int Dispatcher::run() {
    std::size_t tls_listeners = 0;
    for (const Listener& listener : listeners_) {
        Kind kind = listener.tls ? Kind::tls_listener : Kind::listener;
        epoll_.add(listener.socket.get(), EPOLLIN, token(kind, listener.socket.get()));
        tls_listeners += listener.tls ? 1 : 0;
    }
    for (int channel : table_.channel_fds())
        epoll_.add(channel, EPOLLIN, token(Kind::worker, channel));
    epoll_.add(master_.get(), EPOLLIN, token(Kind::master, master_.get()));
    epoll_.add(signals_.get(), EPOLLIN, token(Kind::signals, signals_.get()));
    log::info("serving; header timeout ", settings_.header_timeout_ms, " ms, at most ",
              settings_.max_header_bytes, " head bytes; ", listeners_.size() - tls_listeners,
              " HTTP and ", tls_listeners, " TLS listeners");
    epoll_event events[kMaxEvents];
    while (!done_) {
        int ready = epoll_.wait(events, next_timeout_ms());
        for (int i = 0; i < ready; ++i)
            on_event(events[i].data.u64, events[i].events);
        expire_deadlines();
        let_idle_workers_go();
        if (stopping_ && (pending_count_ == 0 || monotonic_ms() >= stop_deadline_))
            done_ = true;
    }
    log::info("stopped");
    return 0;
}

void Dispatcher::on_event(std::uint64_t event_token, std::uint32_t events) {
    int fd = static_cast<int>(event_token & 0xffffffff);
    switch (static_cast<Kind>(event_token >> 32)) {
        case Kind::listener:
            accept_from(fd, 0);
            break;
        case Kind::tls_listener:
            accept_from(fd, ipc::kConnectionTls);
            break;
        case Kind::master:
            on_master_message();
            break;
        case Kind::worker:
            on_worker_message(fd);
            break;
        case Kind::signals:
            on_signal();
            break;
        case Kind::client:
            if (fd < static_cast<int>(pending_.size()) && pending_[fd]) {
                if (pending_[fd]->lingering) {
                    drain_lingering(*pending_[fd]);
                } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                    if (events & (EPOLLRDHUP | EPOLLHUP))
                        pending_[fd]->peer_closed = true;
                    try_route(fd);
                }
            }
            break;
    }
}

void Dispatcher::accept_from(int listener, std::uint16_t flags) {
    for (int i = 0; i < kAcceptBurst && !stopping_; ++i) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        int fd = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &length,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log::warning("accept: ", log::errno_text(errno), "; backing off");
            }
            return;  // EAGAIN: drained; other errors: the next readiness retries
        }
        UniqueFd socket(fd);
        ipc::ConnectionMeta meta = connection_meta(fd, &peer);
        admit(std::move(socket), meta, flags, {}, true);
    }
}

// Registers a connection in its head phase and tries to route it at once: with
// TCP_DEFER_ACCEPT the head has usually arrived before accept returns.
void Dispatcher::admit(UniqueFd socket, ipc::ConnectionMeta meta, std::uint16_t flags,
                       std::string carried, bool fresh) {
    int fd = socket.get();
    if (fd >= static_cast<int>(pending_.size()))
        pending_.resize(fd + 1);
    auto pending = std::make_unique<PendingConnection>();
    pending->socket = std::move(socket);
    pending->meta = meta;
    pending->flags = flags;
    pending->carried = std::move(carried);
    pending->proxy_expected = fresh && !proxy_trust_.empty() && proxy_trust_.trusts(meta.client);
    pending->deadline = monotonic_ms() + settings_.header_timeout_ms;
    pending->generation = next_generation_++;
    pending_[fd] = std::move(pending);
    ++pending_count_;
    std::uint32_t from_client = client_counts_.add(meta.client);
    if (from_client > settings_.max_pending_per_client || pending_count_ > settings_.max_pending) {
        // Refused before its head is read: the answer needs no routing and the client learns
        // to come back later rather than hold a slot.
        answer_and_close(*pending_[fd], 503);
        return;
    }
    try_route(fd);
    if (fd < static_cast<int>(pending_.size()) && pending_[fd] && !pending_[fd]->lingering) {
        // Edge-triggered: a peek leaves the bytes queued, so level-triggered readiness
        // would fire again at once; we want to hear only of new bytes.
        epoll_.add(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, token(Kind::client, fd));
        pending_[fd]->registered = true;
        timers_.emplace(pending_[fd]->deadline, fd, pending_[fd]->generation);
    }
}

void Dispatcher::forget(int fd) {
    if (fd >= static_cast<int>(pending_.size()) || !pending_[fd])
        return;
    client_counts_.remove(pending_[fd]->meta.client);
    if (pending_[fd]->registered)
        epoll_.remove(fd);
    pending_[fd].reset();
    --pending_count_;
}

void Dispatcher::expire_deadlines() {
    Millis now = monotonic_ms();
    while (!timers_.empty() && std::get<0>(timers_.top()) <= now) {
        auto [deadline, fd, generation] = timers_.top();
        timers_.pop();
        if (fd >= static_cast<int>(pending_.size()) || !pending_[fd])
            continue;
        PendingConnection& pending = *pending_[fd];
        if (pending.generation != generation)
            continue;  // the descriptor was reused
        if (pending.lingering) {
            forget(fd);
        } else {
            // Waiting for a worker that did not come in time is the server's fault, not the
            // client's: 503 with Retry-After rather than 408. (Inside TLS neither is HTTP:
            // answer_and_close turns them into an alert or a silent close.)
            answer_and_close(pending, pending.waiting ? 503 : 408);
        }
    }
}

int Dispatcher::next_timeout_ms() const {
    Millis now = monotonic_ms();
    Millis next = timers_.empty() ? now + 1000 : std::get<0>(timers_.top());
    if (stopping_)
        next = std::min(next, stop_deadline_);
    return static_cast<int>(std::clamp<Millis>(next - now, 0, 1000));
}

// Once a second: a worker above its site's minimum that had no connection for the site's
// idle time is let go. It is taken out of routing first, so nothing is handed to it after.
void Dispatcher::let_idle_workers_go() {
    Millis now = monotonic_ms();
    if (now - idle_checked_at_ < 1000)
        return;
    idle_checked_at_ = now;
    std::vector<std::uint32_t> idle;
    for (SiteState& site : table_.sites()) {
        for (WorkerChannel& worker : site.workers) {
            if (worker.load > 0) {
                worker.idle_since = 0;
            } else if (worker.idle_since == 0) {
                worker.idle_since = now;
            } else if (now - worker.idle_since >= site.idle_ms) {
                idle.push_back(worker.worker_id);
            }
        }
    }
    for (std::uint32_t worker_id : idle) {
        WorkerChannel* worker = table_.worker(worker_id);
        if (table_.worker_count(worker->site_id) <= table_.site(worker->site_id).min_workers)
            continue;
        ipc::WorkerIdle message;
        message.worker_id = worker_id;
        if (!ipc::send_datagram(master_.get(), ipc::bytes_of(message)))
            continue;
        epoll_.remove(worker->channel.get());
        table_.detach(worker_id);
    }
}

void Dispatcher::on_signal() {
    while (int signal_number = read_signal(signals_.get())) {
        if (signal_number == SIGTERM || signal_number == SIGINT)
            stop_accepting();
        // SIGHUP and SIGUSR1 belong to the master; the dispatcher ignores them.
    }
}

void Dispatcher::stop_accepting() {
    if (stopping_)
        return;
    log::info("stopping: no new connections; routing ", pending_count_, " pending");
    stopping_ = true;
    stop_deadline_ = monotonic_ms() + settings_.header_timeout_ms;
    for (Listener& listener : listeners_)
        epoll_.remove(listener.socket.get());
    listeners_.clear();
}

}  // namespace bulkhead::dispatcher
