#pragma once
// Channel master ⇄ worker (SOCK_SEQPACKET, created by the master; the worker's end is
// descriptor fds::kWorkerMaster).
//
// Order: settings, then any number of host / index / path, then ready. A worker receives its own
// site's slice of the configuration and nothing of any other site. The worker sends nothing on
// this channel yet. Graceful stop is SIGTERM; the master never reads from a worker.

#include <cstdint>

#include "ipc/message.hpp"

namespace bulkhead::ipc {

enum class MasterWorkerType : std::uint16_t {
    settings = 1,  // master → worker: the site's scalar settings and document root
    host,          // master → worker: one host pattern the site answers
    index,         // master → worker: one index file name, in order of preference
    path,          // master → worker: a path the site may read or write (Landlock)
    ready,         // master → worker: configuration complete; start serving
    end_,
};

struct WorkerSettings {
    static constexpr auto kType = MasterWorkerType::settings;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t site_id = 0;
    std::uint32_t worker_id = 0;
    std::uint32_t header_timeout_ms = 10'000;
    std::uint32_t keepalive_timeout_ms = 15'000;
    std::uint32_t max_header_bytes = 16 * 1024;
    std::uint32_t max_connections = 1000;
    std::uint32_t reserved2 = 0;
    std::uint64_t max_body_bytes = 10 * 1024 * 1024;
    char name[64] = {};
    char root[4096] = {};  // the document root, absolute
};

struct WorkerHost {
    static constexpr auto kType = MasterWorkerType::host;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    char pattern[256] = {};
};

struct WorkerIndex {
    static constexpr auto kType = MasterWorkerType::index;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    char file_name[256] = {};
};

enum class PathAccess : std::uint16_t { readable = 1, writable = 2 };

struct WorkerPath {
    static constexpr auto kType = MasterWorkerType::path;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    PathAccess access = PathAccess::readable;
    char path[4096] = {};  // absolute
};

struct WorkerReady {
    static constexpr auto kType = MasterWorkerType::ready;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
};

static_assert(sizeof(WorkerSettings) == 4200);
static_assert(sizeof(WorkerHost) == 258);
static_assert(sizeof(WorkerIndex) == 258);
static_assert(sizeof(WorkerReady) == 2);
static_assert(sizeof(WorkerPath) == 4100);

}  // namespace bulkhead::ipc
