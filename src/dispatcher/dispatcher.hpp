#pragma once
// The dispatcher's event loop: accept, peek at the request head (or, on a TLS listener, the
// ClientHello), route by name, hand the socket to a worker of the site that owns it. Bytes stay
// in the kernel; nothing is proxied and nothing is decrypted: the dispatcher holds no key.

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/epoll.hpp"
#include "base/unique_fd.hpp"
#include "dispatcher/client_counts.hpp"
#include "dispatcher/proxy_trust.hpp"
#include "dispatcher/routing_table.hpp"
#include "ipc/dispatcher_worker.hpp"
#include "ipc/master_dispatcher.hpp"

namespace bulkhead::dispatcher {

struct Settings {
    std::uint32_t header_timeout_ms = 10'000;
    std::uint32_t max_header_bytes = 16 * 1024;
    int unknown_host_status = 421;  // 0: route to unknown_host_site
    std::uint32_t unknown_host_site = ipc::kNoSite;
    // Connections the dispatcher holds at once (head phase or lingering), per client address
    // and in all; beyond them a new connection gets 503 at once. A browser opens a handful;
    // an office behind one NAT address a few hundred.
    std::uint32_t max_pending_per_client = 256;
    std::uint32_t max_pending = 50'000;
};

// A listening socket and what arrives on it.
struct Listener {
    UniqueFd socket;
    bool tls = false;  // TLS: routed by the ClientHello's server name; else by the HTTP head
};

// A connection in its head phase: accepted (or handed back), not yet routed.
struct PendingConnection {
    UniqueFd socket;
    ipc::ConnectionMeta meta;
    std::uint16_t flags = 0;  // ipc::ConnectionFlags; kConnectionTls from a TLS listener
    std::string carried;      // bytes a worker already read (handback), routed first
    Millis deadline = 0;
    std::uint32_t generation = 0;  // tells stale timer entries from live ones
    bool lingering = false;        // answered and half-closed; draining until EOF or deadline
    bool proxy_expected = false;   // from a proxy_protocol_from address: a PROXY header comes first
    bool waiting = false;          // routed, queued until its site's first worker is up
    bool registered = false;       // in the epoll set (not when routed straight from accept)
    bool peer_closed = false;      // the client half-closed: no more bytes will come
};

// Client and local address of a connected socket. With `peer` (fresh from accept) only the
// client address is filled in; the local one stays zero (family 0) for the worker to look up.
ipc::ConnectionMeta connection_meta(int socket, const sockaddr_storage* peer = nullptr);
// A handed-back descriptor must be a TCP connection, not whatever a worker made up.
bool is_tcp_socket(int fd);

class Dispatcher {
  public:
    Dispatcher(Settings settings, RoutingTable table, std::vector<Listener> listeners,
               ProxyTrust proxy_trust, UniqueFd master_channel);
    // Runs until SIGTERM/SIGINT (graceful: stops accepting, routes what is pending) or until
    // the master's channel closes. Returns the process exit status.
    int run();

  private:
    enum class Kind : std::uint32_t { listener, tls_listener, master, worker, client, signals };
    static std::uint64_t token(Kind kind, int fd) {
        return (static_cast<std::uint64_t>(kind) << 32) | static_cast<std::uint32_t>(fd);
    }

    void on_event(std::uint64_t token, std::uint32_t events);
    void accept_from(int listener, std::uint16_t flags);
    void admit(UniqueFd socket, ipc::ConnectionMeta meta, std::uint16_t flags, std::string carried,
               bool fresh);
    void try_route(int fd);
    bool consume_proxy_header(PendingConnection& pending);
    void route_head(PendingConnection& pending, std::span<const std::byte> head_bytes);
    void route_client_hello(PendingConnection& pending, std::span<const std::byte> hello_bytes);
    void route_unknown_name(PendingConnection& pending);
    void route_to_site(PendingConnection& pending, std::uint32_t site_id, std::uint16_t flags);
    bool hand_to_worker(PendingConnection& pending, std::uint32_t site_id);
    void wait_for_worker(PendingConnection& pending, std::uint32_t site_id);
    void ask_for_worker(std::uint32_t site_id);
    void release_waiting(std::uint32_t site_id);
    void let_idle_workers_go();
    void answer_and_close(PendingConnection& pending, int status);
    void send_and_linger(PendingConnection& pending, std::string_view bytes);
    void drain_lingering(PendingConnection& pending);
    void forget(int fd);
    void expire_deadlines();
    int next_timeout_ms() const;

    void on_master_message();
    void on_worker_message(int channel_fd);
    void report_violation(std::uint32_t worker_id);
    void on_signal();
    void stop_accepting();

    Settings settings_;
    RoutingTable table_;
    std::vector<Listener> listeners_;
    ProxyTrust proxy_trust_;
    UniqueFd master_;
    UniqueFd signals_;
    Epoll epoll_;
    std::vector<std::unique_ptr<PendingConnection>> pending_;  // indexed by descriptor number
    std::size_t pending_count_ = 0;
    ClientCounts client_counts_;
    using TimerEntry = std::tuple<Millis, int, std::uint32_t>;  // deadline, fd, generation
    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
    std::uint32_t next_generation_ = 1;
    std::vector<std::byte> peek_buffer_;
    std::vector<std::byte> message_buffer_;
    bool stopping_ = false;
    Millis stop_deadline_ = 0;
    Millis idle_checked_at_ = 0;
    bool done_ = false;
};

}  // namespace bulkhead::dispatcher
