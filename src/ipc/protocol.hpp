#pragma once
// A fingerprint of the message layouts, so that roles built from different sources (a
// half-finished upgrade, a copy of one executable) refuse each other at start instead of
// misreading messages. It changes whenever a message's size or a channel's message count does.

#include <cstdint>

#include "ipc/dispatcher_worker.hpp"
#include "ipc/master_dispatcher.hpp"
#include "ipc/master_worker.hpp"

namespace bulkhead::ipc {

consteval std::uint32_t protocol_fingerprint() {
    std::uint32_t hash = 2166136261u;  // FNV-1a over the layout facts
    auto mix = [&hash](std::uint64_t value) {
        for (int i = 0; i < 8; ++i) {
            hash ^= static_cast<std::uint8_t>(value >> (8 * i));
            hash *= 16777619u;
        }
    };
    mix(static_cast<std::uint64_t>(MasterDispatcherType::end_));
    mix(static_cast<std::uint64_t>(MasterWorkerType::end_));
    mix(static_cast<std::uint64_t>(DispatcherWorkerType::end_));
    for (std::uint64_t size :
         {sizeof(DispatcherSettings), sizeof(ListenerMessage), sizeof(SiteRoute),
          sizeof(HostRoute),          sizeof(ProxyTrust),      sizeof(WorkerAttach),
          sizeof(WorkerDetach),       sizeof(PeerViolation),   sizeof(WantWorker),
          sizeof(WorkerIdle),         sizeof(DispatcherReady), sizeof(WorkerSettings),
          sizeof(WorkerHost),         sizeof(WorkerIndex),     sizeof(WorkerPath),
          sizeof(WorkerCgi),          sizeof(WorkerFastCgi),   sizeof(WorkerExtension),
          sizeof(WorkerArgument),     sizeof(WorkerReady),     sizeof(WorkerConfinement),
          sizeof(WorkerLogFile),      sizeof(WorkerTls),       sizeof(WorkerTlsFile),
          sizeof(WorkerTicketKey),    sizeof(Handoff),         sizeof(Handback),
          sizeof(WorkerLoad),         sizeof(StandbyCgroup),   sizeof(StandbyDescriptorMessage),
          sizeof(StandbyPlan)}) {
        mix(size);
    }
    return hash;
}

// The exit status of a role that finds the master speaking another protocol.
inline constexpr int kExitOtherBuild = 7;

}  // namespace bulkhead::ipc
