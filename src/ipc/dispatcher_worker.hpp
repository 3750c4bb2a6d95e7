#pragma once
// Channel dispatcher ⇄ worker (SOCK_SEQPACKET, created by the master; the worker's end is
// descriptor fds::kWorkerDispatcher, the dispatcher's end arrives in WorkerAttach). The master
// keeps a copy of the dispatcher's end so a worker outlives a dispatcher restart; it never
// reads from it.

#include <cstdint>

#include "ipc/endpoint.hpp"
#include "ipc/message.hpp"

namespace bulkhead::ipc {

enum class DispatcherWorkerType : std::uint16_t {
    handoff = 1,  // dispatcher → worker: a client connection to serve  [descriptor] + tail bytes
    handback,     // worker → dispatcher: a keep-alive connection whose next request names
                  // another site, with the bytes already read from it  [descriptor] + tail bytes
    load,         // worker → dispatcher: how many connections it now serves
    end_,
};

// Bytes a connection may carry along in a handoff or handback: request bytes the previous
// holder already read from the socket (the kernel cannot take them back).
inline constexpr std::uint32_t kMaxCarriedBytes = 64 * 1024;

enum ConnectionFlags : std::uint16_t {
    kConnectionTls = 1 << 0,       // arrived on a TLS listener
    kServeAnyHost = 1 << 1,        // routed by the unknown_host policy: the worker serves the
                                   // first request whatever its Host says
};

struct ConnectionMeta {
    Endpoint client;  // the peer
    Endpoint local;   // the address it connected to; family 0: not looked up, ask the socket
};

struct Handoff {
    static constexpr auto kType = DispatcherWorkerType::handoff;
    static constexpr bool kTakesFd = true;
    static constexpr std::uint32_t kMaxTailBytes = kMaxCarriedBytes;
    DispatcherWorkerType type = kType;
    std::uint16_t flags = 0;       // ConnectionFlags
    std::uint32_t tail_bytes = 0;  // followed by tail_bytes bytes already read from the socket
    ConnectionMeta meta;
};

struct Handback {
    static constexpr auto kType = DispatcherWorkerType::handback;
    static constexpr bool kTakesFd = true;
    static constexpr std::uint32_t kMaxTailBytes = kMaxCarriedBytes;
    DispatcherWorkerType type = kType;
    std::uint16_t flags = 0;       // ConnectionFlags (kConnectionTls only)
    std::uint32_t tail_bytes = 0;  // followed by tail_bytes bytes the worker read but did not use
    ConnectionMeta meta;
};

struct WorkerLoad {
    static constexpr auto kType = DispatcherWorkerType::load;
    static constexpr bool kTakesFd = false;
    DispatcherWorkerType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t connections = 0;
};

static_assert(sizeof(Handoff) == 48);
static_assert(sizeof(Handback) == 48);
static_assert(sizeof(WorkerLoad) == 8);

}  // namespace bulkhead::ipc
