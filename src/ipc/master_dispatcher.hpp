#pragma once
// Channel master ⇄ dispatcher (SOCK_SEQPACKET, created by the master; the dispatcher's end is
// descriptor fds::kDispatcherMaster).
//
// Order: settings, then any number of listener / site / host / proxy_trust / worker_attach,
// then ready.
// After ready: worker_attach and worker_detach as workers come and go. Anything the dispatcher
// receives out of this order is fatal for it. The dispatcher sends peer_violation,
// want_worker and worker_idle.

#include <cstdint>

#include "ipc/message.hpp"

namespace bulkhead::ipc {

enum class MasterDispatcherType : std::uint16_t {
    settings = 1,   // master → dispatcher: identity, jail, limits, unknown-host policy
    listener,       // master → dispatcher: a listening socket                 [descriptor]
    site,           // master → dispatcher: a site's id and name
    host,           // master → dispatcher: one host pattern of a site
    proxy_trust,    // master → dispatcher: an address range that may send a PROXY header
    worker_attach,  // master → dispatcher: a worker's channel (dispatcher end) [descriptor]
    worker_detach,  // master → dispatcher: that worker is gone; forget its channel
    ready,          // master → dispatcher: the table is complete; start serving
    peer_violation, // dispatcher → master: a worker broke the dispatcher_worker protocol;
                    // the master kills it (DESIGN.md, "Messages between roles")
    want_worker,    // dispatcher → master: a site needs one more worker (none, or all busy)
    worker_idle,    // dispatcher → master: this worker (above the site's minimum) sat idle;
                    // the dispatcher no longer routes to it, the master stops it
    end_,
};

inline constexpr std::uint32_t kNoSite = 0xffffffff;

struct DispatcherSettings {
    static constexpr auto kType = MasterDispatcherType::settings;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint16_t unknown_host_status = 421;  // 400, 404 or 421; 0: route to unknown_host_site
    std::uint32_t unknown_host_site = kNoSite;
    std::uint32_t uid = 0;                    // server.user: the dispatcher drops to it
    std::uint32_t gid = 0;
    std::uint32_t header_timeout_ms = 10'000;
    std::uint32_t max_header_bytes = 16 * 1024;
    std::uint32_t protocol = 0;               // ipc::protocol_fingerprint() of the master
    char jail_dir[256] = {};                  // the empty directory it chroots into
};

struct ListenerMessage {
    static constexpr auto kType = MasterDispatcherType::listener;
    static constexpr bool kTakesFd = true;
    MasterDispatcherType type = kType;
    std::uint8_t tls = 0;  // 1: TLS listener (route by SNI); 0: plaintext HTTP
    std::uint8_t reserved = 0;
};

struct SiteRoute {
    static constexpr auto kType = MasterDispatcherType::site;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint8_t tls = 0;  // 1: the site has [site.tls]; TLS listeners route to it by SNI
    std::uint8_t reserved = 0;
    std::uint32_t site_id = 0;
    std::uint32_t min_workers = 1;  // 0: the site's first request asks for its first worker
    std::uint32_t max_workers = 4;
    std::uint32_t idle_ms = 60'000; // a worker above min_workers idle this long is let go
    std::uint32_t max_connections = 1000;  // limits.connections: open at once, all workers
    char name[64] = {};
};

struct HostRoute {
    static constexpr auto kType = MasterDispatcherType::host;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t site_id = 0;
    char pattern[256] = {};  // "alpha.example" or "*.alpha.example", normalized
};

struct ProxyTrust {
    static constexpr auto kType = MasterDispatcherType::proxy_trust;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint8_t family = 4;       // 4 or 6
    std::uint8_t prefix_bits = 32;  // 0..32 or 0..128
    std::uint8_t address[16] = {};
};

struct WorkerAttach {
    static constexpr auto kType = MasterDispatcherType::worker_attach;
    static constexpr bool kTakesFd = true;
    MasterDispatcherType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t site_id = 0;
    std::uint32_t worker_id = 0;  // unique for the master's lifetime
};

struct WorkerDetach {
    static constexpr auto kType = MasterDispatcherType::worker_detach;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t worker_id = 0;
};

struct DispatcherReady {
    static constexpr auto kType = MasterDispatcherType::ready;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
};

struct PeerViolation {
    static constexpr auto kType = MasterDispatcherType::peer_violation;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t worker_id = 0;
};

struct WantWorker {
    static constexpr auto kType = MasterDispatcherType::want_worker;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t site_id = 0;
};

struct WorkerIdle {
    static constexpr auto kType = MasterDispatcherType::worker_idle;
    static constexpr bool kTakesFd = false;
    MasterDispatcherType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t worker_id = 0;
};

static_assert(sizeof(DispatcherSettings) == 284);
static_assert(sizeof(WantWorker) == 8);
static_assert(sizeof(WorkerIdle) == 8);
static_assert(sizeof(PeerViolation) == 8);
static_assert(sizeof(ProxyTrust) == 20);
static_assert(sizeof(ListenerMessage) == 4);
static_assert(sizeof(SiteRoute) == 88);
static_assert(sizeof(HostRoute) == 264);
static_assert(sizeof(WorkerAttach) == 12);
static_assert(sizeof(WorkerDetach) == 8);
static_assert(sizeof(DispatcherReady) == 2);

}  // namespace bulkhead::ipc
