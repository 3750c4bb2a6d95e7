#include "worker/intake.hpp"

#include <vector>

#include "ipc/master_worker.hpp"

namespace bulkhead::worker {
namespace {

using ipc::MasterWorkerType;

constexpr int kIntakeTimeoutMs = 30'000;

Expected<void, std::string> apply_settings(Site& site, const ipc::WorkerSettings& message) {
    auto name = ipc::get_text(message.name);
    auto root = ipc::get_text(message.root);
    if (!name || name->empty() || !root || root->empty() || (*root)[0] != '/') {
        return unexpected(std::string("malformed settings"));
    }
    site.name = std::string(*name);
    site.root = std::string(*root);
    site.site_id = message.site_id;
    site.worker_id = message.worker_id;
    site.header_timeout_ms = message.header_timeout_ms;
    site.keepalive_timeout_ms = message.keepalive_timeout_ms;
    site.max_header_bytes = message.max_header_bytes;
    site.max_connections = message.max_connections;
    site.max_body_bytes = message.max_body_bytes;
    return {};
}

// One message after settings; true when it was `ready`.
Expected<bool, std::string> apply_message(Site& site, std::span<const std::byte> bytes,
                                          bool has_fd) {
    switch (ipc::peek_type(bytes, MasterWorkerType::end_).value_or(MasterWorkerType::end_)) {
        case MasterWorkerType::host:
            if (auto m = ipc::decode<ipc::WorkerHost>(bytes, has_fd)) {
                auto pattern = ipc::get_text(m->pattern);
                if (pattern && site.hosts.add(*pattern, 0))
                    return false;
            }
            break;
        case MasterWorkerType::index:
            if (auto m = ipc::decode<ipc::WorkerIndex>(bytes, has_fd)) {
                auto file = ipc::get_text(m->file_name);
                if (file && !file->empty() && file->find('/') == std::string_view::npos) {
                    site.index_files.emplace_back(*file);
                    return false;
                }
            }
            break;
        case MasterWorkerType::path:
            if (auto m = ipc::decode<ipc::WorkerPath>(bytes, has_fd)) {
                auto path = ipc::get_text(m->path);
                if (path && !path->empty() && (*path)[0] == '/') {
                    if (m->access == ipc::PathAccess::readable) {
                        site.readable.emplace_back(*path);
                        return false;
                    }
                    if (m->access == ipc::PathAccess::writable) {
                        site.writable.emplace_back(*path);
                        return false;
                    }
                }
            }
            break;
        case MasterWorkerType::ready:
            if (ipc::decode<ipc::WorkerReady>(bytes, has_fd))
                return true;
            break;
        default:
            break;
    }
    return unexpected(std::string("malformed or out-of-order message during start-up"));
}

}  // namespace

Expected<Site, std::string> receive_site(int master_channel) {
    Site site;
    std::vector<std::byte> buffer(sizeof(ipc::WorkerSettings) + 64);
    bool have_settings = false;
    for (;;) {
        auto datagram = ipc::receive_datagram_waiting(master_channel, buffer, kIntakeTimeoutMs);
        if (!datagram)
            return unexpected(std::string("master channel: ") + ipc::describe(datagram.error()));
        std::span<const std::byte> bytes(buffer.data(), datagram->size);
        bool has_fd = datagram->fd.valid();
        if (!have_settings) {
            auto settings = ipc::decode<ipc::WorkerSettings>(bytes, has_fd);
            if (!settings)
                return unexpected(std::string("the first message was not settings"));
            if (auto applied = apply_settings(site, *settings); !applied)
                return unexpected(applied.error());
            have_settings = true;
            continue;
        }
        auto done = apply_message(site, bytes, has_fd);
        if (!done)
            return unexpected(done.error());
        if (*done)
            return site;
    }
}

}  // namespace bulkhead::worker
