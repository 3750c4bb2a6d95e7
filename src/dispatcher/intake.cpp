#include "dispatcher/intake.hpp"

#include <cstring>
#include <vector>

#include "ipc/master_dispatcher.hpp"
#include "ipc/protocol.hpp"

namespace bulkhead::dispatcher {
namespace {

using ipc::MasterDispatcherType;

constexpr int kIntakeTimeoutMs = 30'000;  // the master sends everything at once

Expected<void, std::string> apply_settings(Intake& intake, const ipc::DispatcherSettings& message) {
    if (message.protocol != ipc::protocol_fingerprint()) {
        return unexpected(std::string(kOtherBuild));
    }
    auto jail = ipc::get_text(message.jail_dir);
    if (!jail || jail->empty() || (*jail)[0] != '/')
        return unexpected(std::string("bad jail directory"));
    intake.jail_dir = std::string(*jail);
    intake.uid = message.uid;
    intake.gid = message.gid;
    intake.settings.header_timeout_ms = message.header_timeout_ms;
    intake.settings.max_header_bytes = message.max_header_bytes;
    intake.settings.unknown_host_status = message.unknown_host_status;
    intake.settings.unknown_host_site = message.unknown_host_site;
    return {};
}

// One message after settings; returns true when it was `ready`.
Expected<bool, std::string> apply_message(Intake& intake, std::span<const std::byte> bytes,
                                          UniqueFd fd) {
    bool has_fd = fd.valid();
    switch (
        ipc::peek_type(bytes, MasterDispatcherType::end_).value_or(MasterDispatcherType::end_)) {
        case MasterDispatcherType::listener:
            if (auto m = ipc::decode<ipc::ListenerMessage>(bytes, has_fd); m && m->tls <= 1) {
                intake.listeners.push_back(Listener{std::move(fd), m->tls == 1});
                return false;
            }
            break;
        case MasterDispatcherType::site:
            if (auto m = ipc::decode<ipc::SiteRoute>(bytes, has_fd)) {
                auto name = ipc::get_text(m->name);
                if (name && !name->empty() && m->min_workers <= m->max_workers &&
                    m->max_workers > 0 && m->tls <= 1) {
                    SiteState state;
                    state.name = std::string(*name);
                    state.tls = m->tls == 1;
                    state.min_workers = m->min_workers;
                    state.max_workers = m->max_workers;
                    state.idle_ms = m->idle_ms;
                    state.max_connections = m->max_connections;
                    intake.table.add_site(m->site_id, std::move(state));
                    return false;
                }
            }
            break;
        case MasterDispatcherType::host:
            if (auto m = ipc::decode<ipc::HostRoute>(bytes, has_fd)) {
                auto pattern = ipc::get_text(m->pattern);
                if (pattern && intake.table.add_host(*pattern, m->site_id))
                    return false;
            }
            break;
        case MasterDispatcherType::proxy_trust:
            if (auto m = ipc::decode<ipc::ProxyTrust>(bytes, has_fd);
                m && ((m->family == 4 && m->prefix_bits <= 32) ||
                      (m->family == 6 && m->prefix_bits <= 128))) {
                AddressRange range{m->family, m->prefix_bits, {}};
                std::memcpy(range.address, m->address, sizeof range.address);
                intake.proxy_trust.add(range);
                return false;
            }
            break;
        case MasterDispatcherType::worker_attach:
            if (auto m = ipc::decode<ipc::WorkerAttach>(bytes, has_fd);
                m && intake.table.has_site(m->site_id)) {
                intake.table.attach(m->site_id, m->worker_id, std::move(fd));
                return false;
            }
            break;
        case MasterDispatcherType::ready:
            if (ipc::decode<ipc::DispatcherReady>(bytes, has_fd))
                return true;
            break;
        default:
            break;
    }
    return unexpected(std::string("malformed or out-of-order message during start-up"));
}

}  // namespace

Expected<Intake, std::string> receive_intake(int master_channel) {
    Intake intake;
    std::vector<std::byte> buffer(8192);
    bool have_settings = false;
    for (;;) {
        auto datagram = ipc::receive_datagram_waiting(master_channel, buffer, kIntakeTimeoutMs);
        if (!datagram)
            return unexpected(std::string("master channel: ") + ipc::describe(datagram.error()));
        std::span<const std::byte> bytes(buffer.data(), datagram->size);
        if (!have_settings) {
            auto settings = ipc::decode<ipc::DispatcherSettings>(bytes, datagram->fd.valid());
            if (!settings)
                return unexpected(std::string("the first message was not settings"));
            if (auto applied = apply_settings(intake, *settings); !applied)
                return unexpected(applied.error());
            have_settings = true;
            continue;
        }
        auto done = apply_message(intake, bytes, std::move(datagram->fd));
        if (!done)
            return unexpected(done.error());
        if (*done)
            return intake;
    }
}

}  // namespace bulkhead::dispatcher
