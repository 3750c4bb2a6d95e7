// Peek at the request head (or the ClientHello, on a TLS listener), find the name it asks
// for, and hand the socket to that site.

#include <errno.h>
#include <sys/socket.h>

#include <cstring>

#include "base/log.hpp"
#include "dispatcher/dispatcher.hpp"
#include "proto/client_hello.hpp"
#include "proto/host.hpp"
#include "proto/http_head.hpp"
#include "proto/proxy_protocol.hpp"

namespace bulkhead::dispatcher {

// A trusted balancer's PROXY header names the real client. It is read (not peeked) so that
// the worker gets the request alone; the addresses it gives replace the socket's.
bool Dispatcher::consume_proxy_header(PendingConnection& pending) {
    constexpr std::size_t kMaxProxyHeader = 1024;
    int fd = pending.socket.get();
    ssize_t peeked = recv(fd, peek_buffer_.data(), kMaxProxyHeader, MSG_PEEK);
    if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EINTR)) {
        forget(fd);
        return false;
    }
    std::span<const std::byte> bytes(peek_buffer_.data(),
                                     static_cast<std::size_t>(std::max<ssize_t>(peeked, 0)));
    proto::ProxyHeader header = proto::parse_proxy_header(bytes);
    if (header.status == proto::ProxyStatus::need_more && bytes.size() < kMaxProxyHeader)
        return false;
    if (header.status != proto::ProxyStatus::complete ||
        recv(fd, peek_buffer_.data(), header.consumed, 0) !=
            static_cast<ssize_t>(header.consumed)) {
        answer_and_close(pending, 400);
        return false;
    }
    for (auto [from, to] : {std::pair{&header.source, &pending.meta.client},
                            std::pair{&header.destination, &pending.meta.local}}) {
        if (from->family == 0)
            continue;  // LOCAL or UNKNOWN: the socket's own addresses stand
        *to = ipc::Endpoint{from->family, 0, from->port, {}};
        std::memcpy(to->address, from->address, sizeof to->address);
    }
    pending.proxy_expected = false;
    return true;
}

void Dispatcher::try_route(int fd) {
    PendingConnection& pending = *pending_[fd];
    if (pending.waiting)
        return;  // already routed; waiting for its site's first worker
    if (pending.proxy_expected && !consume_proxy_header(pending))
        return;
    bool tls = (pending.flags & ipc::kConnectionTls) != 0;
    // Carried bytes (from a handback; never TLS) come first; then whatever the kernel holds.
    std::size_t carried = std::min(pending.carried.size(), peek_buffer_.size());
    std::memcpy(peek_buffer_.data(), pending.carried.data(), carried);
    // One byte more than a head may have, to tell "too large" from "just fits"; the
    // ClientHello parser itself treats a full buffer without a whole ClientHello as too large.
    std::size_t limit = tls ? proto::kMaxClientHelloBytes : settings_.max_header_bytes + 1;
    std::size_t room = std::min(limit, peek_buffer_.size() - carried);
    ssize_t peeked = recv(fd, peek_buffer_.data() + carried, room, MSG_PEEK);
    bool gone = peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EINTR);
    if (gone && carried == 0) {
        forget(fd);  // the client went away before its head was complete
        return;
    }
    std::size_t total = carried + static_cast<std::size_t>(std::max<ssize_t>(peeked, 0));
    std::span<const std::byte> bytes(peek_buffer_.data(), total);
    if (tls)
        return route_client_hello(pending, bytes);
    route_head(pending, bytes);
}

void Dispatcher::route_head(PendingConnection& pending, std::span<const std::byte> bytes) {
    proto::HeadLimits limits;
    limits.max_head_bytes = settings_.max_header_bytes;
    limits.max_target_bytes = std::min<std::size_t>(8192, settings_.max_header_bytes);
    proto::RequestHead head;
    proto::ParseOutcome outcome = proto::parse_request_head(bytes, limits, head);
    if (outcome.status == proto::ParseStatus::need_more)
        return;  // wait for more bytes
    if (outcome.status == proto::ParseStatus::error) {
        answer_and_close(pending, proto::http_status_for(outcome.error));
        return;
    }
    // Plaintext only: a TLS connection is routed by its ClientHello (hello_routing.cpp).
    std::optional<std::string_view> authority = head.routing_authority();
    if (!authority) {  // HTTP/1.0 without Host: the unknown_host policy decides
        if (settings_.unknown_host_status != 0)
            return answer_and_close(pending, settings_.unknown_host_status);
        return route_to_site(pending, settings_.unknown_host_site, ipc::kServeAnyHost);
    }
    std::optional<std::string> host = proto::normalize_host(*authority);
    if (!host)
        return answer_and_close(pending, 400);
    if (std::optional<std::uint32_t> site = table_.route(*host)) {
        return route_to_site(pending, *site, 0);
    }
    if (settings_.unknown_host_status != 0)
        return answer_and_close(pending, settings_.unknown_host_status);
    route_to_site(pending, settings_.unknown_host_site, ipc::kServeAnyHost);
}

void Dispatcher::route_to_site(PendingConnection& pending, std::uint32_t site_id,
                               std::uint16_t flags) {
    pending.flags = flags;
    if (table_.connections(site_id) >= table_.site(site_id).max_connections) {
        // limits.connections: the site has as many as it may; it does not take another's share.
        return answer_and_close(pending, 503);
    }
    if (hand_to_worker(pending, site_id))
        return;
    if (table_.ready_count(site_id) == 0 && !stopping_)
        return wait_for_worker(pending, site_id);
    log::warning("no worker of site ", table_.site_name(site_id), " could take a connection");
    answer_and_close(pending, 503);
}

// Sends the socket to the least busy worker of the site (if its channel is full, the next);
// asks for one more worker when even the least busy one is loaded.
bool Dispatcher::hand_to_worker(PendingConnection& pending, std::uint32_t site_id) {
    constexpr std::uint32_t kGrowAtLoad = 64;
    ipc::Handoff handoff;
    handoff.flags = pending.flags;
    handoff.tail_bytes = static_cast<std::uint32_t>(pending.carried.size());
    handoff.meta = pending.meta;
    std::span<const std::byte> tail(reinterpret_cast<const std::byte*>(pending.carried.data()),
                                    pending.carried.size());
    const WorkerChannel* tried = nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
        WorkerChannel* worker = table_.least_busy(site_id, tried);
        if (worker == nullptr)
            return false;
        auto sent = ipc::send_datagram(worker->channel.get(), ipc::bytes_of(handoff), tail,
                                       pending.socket.get());
        if (sent) {
            worker->idle_since = 0;
            if (++worker->load >= kGrowAtLoad &&
                table_.worker_count(site_id) < table_.site(site_id).max_workers) {
                ask_for_worker(site_id);
            }
            forget(pending.socket.get());  // the worker has its own copy now
            return true;
        }
        tried = worker;
    }
    return false;
}

// A site with no worker (min = 0, or all of them died): the connection waits, bounded in
// number and by its header deadline, while the master starts one. The dispatcher never
// blocks on it.
void Dispatcher::wait_for_worker(PendingConnection& pending, std::uint32_t site_id) {
    constexpr std::size_t kMaxWaitingPerSite = 256;
    SiteState& site = table_.site(site_id);
    if (site.waiting.size() >= kMaxWaitingPerSite)
        return answer_and_close(pending, 503);
    pending.waiting = true;
    site.waiting.emplace_back(pending.socket.get(), pending.generation);
    if (table_.worker_count(site_id) == 0)
        ask_for_worker(site_id);  // else one is starting
}

void Dispatcher::ask_for_worker(std::uint32_t site_id) {
    constexpr Millis kAskAgainMs = 2000;  // the master may be backing off; ask again later
    SiteState& site = table_.site(site_id);
    Millis now = monotonic_ms();
    if (site.asked_at != 0 && now - site.asked_at < kAskAgainMs)
        return;
    site.asked_at = now;
    ipc::WantWorker want;
    want.site_id = site_id;
    auto sent = ipc::send_datagram(master_.get(), ipc::bytes_of(want));
    (void)sent;  // if the master cannot hear us now, the next request asks again
}

// A worker of the site attached: the connections waiting for one go to it.
void Dispatcher::release_waiting(std::uint32_t site_id) {
    SiteState& site = table_.site(site_id);
    site.asked_at = 0;
    auto waiting = std::move(site.waiting);
    site.waiting.clear();
    for (auto [fd, generation] : waiting) {
        if (fd >= static_cast<int>(pending_.size()) || !pending_[fd])
            continue;
        PendingConnection& pending = *pending_[fd];
        if (pending.generation != generation || !pending.waiting)
            continue;
        pending.waiting = false;
        route_to_site(pending, site_id, pending.flags);
    }
}

}  // namespace bulkhead::dispatcher
