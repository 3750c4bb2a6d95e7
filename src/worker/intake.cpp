#include "worker/intake.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include "ipc/master_worker.hpp"
#include "ipc/protocol.hpp"

namespace bulkhead::worker {
namespace {

using ipc::MasterWorkerType;

constexpr int kIntakeTimeoutMs = 30'000;

Expected<void, std::string> apply_settings(Site& site, const ipc::WorkerSettings& message) {
    if (message.protocol != ipc::protocol_fingerprint())
        return unexpected(std::string(kOtherBuild));
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

// [site.cgi] and [site.fastcgi] arrive once each; their extensions and command words follow.
bool apply_cgi(Site& site, const ipc::WorkerCgi& message) {
    if (site.cgi || message.timeout_ms == 0)
        return false;
    site.cgi = CgiSettings{{}, message.timeout_ms};
    return true;
}

bool apply_fastcgi(Site& site, const ipc::WorkerFastCgi& message) {
    auto socket = ipc::get_text(message.socket);
    if (site.fastcgi || !socket || message.processes == 0 || message.processes > 256 ||
        message.timeout_ms == 0 || (!socket->empty() && (*socket)[0] != '/')) {
        return false;
    }
    FastCgiSettings settings;
    settings.socket = std::string(*socket);
    settings.processes = message.processes;
    settings.timeout_ms = message.timeout_ms;
    site.fastcgi = std::move(settings);
    return true;
}

bool apply_extension(Site& site, const ipc::WorkerExtension& message) {
    auto extension = ipc::get_text(message.extension);
    if (!extension || extension->size() < 2 || (*extension)[0] != '.' ||
        extension->find('/') != std::string_view::npos) {
        return false;
    }
    std::vector<std::string>* list = nullptr;
    if (message.handler == ipc::HandlerKind::cgi && site.cgi)
        list = &site.cgi->extensions;
    if (message.handler == ipc::HandlerKind::fastcgi && site.fastcgi)
        list = &site.fastcgi->extensions;
    if (list == nullptr)
        return false;
    list->emplace_back(*extension);
    return true;
}

bool apply_argument(Site& site, const ipc::WorkerArgument& message) {
    auto word = ipc::get_text(message.argument);
    if (!word || !site.fastcgi || !site.fastcgi->socket.empty())
        return false;
    if (site.fastcgi->command.empty() && (word->empty() || (*word)[0] != '/'))
        return false;
    site.fastcgi->command.emplace_back(*word);
    return true;
}

// What `ready` requires of the handlers: extensions for each, and a FastCGI application.
bool handlers_complete(const Site& site) {
    if (site.cgi && site.cgi->extensions.empty())
        return false;
    if (!site.fastcgi)
        return true;
    return !site.fastcgi->extensions.empty() &&
           (site.fastcgi->command.empty() != site.fastcgi->socket.empty());
}

// [site.tls]: the settings first, then the files (descriptors opened by the master) and the
// ticket keys, each in any order.
bool apply_tls(Site& site, const ipc::WorkerTls& message) {
    auto ciphers = ipc::get_text(message.ciphers);
    auto suites = ipc::get_text(message.ciphersuites);
    bool known_version = message.min_version == 0x0303 || message.min_version == 0x0304;
    if (site.tls || !ciphers || !suites || !known_version || message.redirect_http > 1 ||
        message.hsts_include_subdomains > 1) {
        return false;
    }
    TlsSettings settings;
    settings.min_version = message.min_version;
    settings.ciphers = std::string(*ciphers);
    settings.ciphersuites = std::string(*suites);
    settings.redirect_http = message.redirect_http == 1;
    settings.https_port = message.https_port;
    settings.hsts_max_age_s = message.hsts_max_age_s;
    settings.hsts_include_subdomains = message.hsts_include_subdomains == 1;
    site.tls = std::move(settings);
    return true;
}

bool apply_tls_file(Site& site, const ipc::WorkerTlsFile& message, UniqueFd& fd) {
    if (!site.tls || !fd)
        return false;
    UniqueFd* slot = nullptr;
    switch (message.which) {
        case ipc::TlsFileKind::certificate_chain:
            slot = &site.tls->certificate_chain;
            break;
        case ipc::TlsFileKind::private_key:
            slot = &site.tls->private_key;
            break;
        case ipc::TlsFileKind::ocsp_response:
            slot = &site.tls->ocsp_response;
            break;
    }
    if (slot == nullptr || *slot)
        return false;
    *slot = std::move(fd);
    return true;
}

bool apply_handler_message(Site& site, MasterWorkerType type, std::span<const std::byte> bytes,
                           bool has_fd) {
    switch (type) {
        case MasterWorkerType::cgi: {
            auto m = ipc::decode<ipc::WorkerCgi>(bytes, has_fd);
            return m && apply_cgi(site, *m);
        }
        case MasterWorkerType::fastcgi: {
            auto m = ipc::decode<ipc::WorkerFastCgi>(bytes, has_fd);
            return m && apply_fastcgi(site, *m);
        }
        case MasterWorkerType::extension: {
            auto m = ipc::decode<ipc::WorkerExtension>(bytes, has_fd);
            return m && apply_extension(site, *m);
        }
        case MasterWorkerType::argument: {
            auto m = ipc::decode<ipc::WorkerArgument>(bytes, has_fd);
            return m && apply_argument(site, *m);
        }
        default:
            return false;
    }
}

// What `ready` requires of TLS: the certificate chain and the key.
bool tls_complete(const Site& site) {
    return !site.tls || (site.tls->certificate_chain && site.tls->private_key);
}

// One message after settings; true when it was `ready`.
Expected<bool, std::string> apply_message(Site& site, std::span<const std::byte> bytes,
                                          UniqueFd& fd) {
    bool has_fd = fd.valid();
    auto type = ipc::peek_type(bytes, MasterWorkerType::end_).value_or(MasterWorkerType::end_);
    switch (type) {
        case MasterWorkerType::tls:
            if (auto m = ipc::decode<ipc::WorkerTls>(bytes, has_fd); m && apply_tls(site, *m))
                return false;
            break;
        case MasterWorkerType::tls_file:
            if (auto m = ipc::decode<ipc::WorkerTlsFile>(bytes, has_fd);
                m && apply_tls_file(site, *m, fd)) {
                return false;
            }
            break;
        case MasterWorkerType::ticket_key:
            if (auto m = ipc::decode<ipc::WorkerTicketKey>(bytes, has_fd); m && site.tls) {
                site.tls->ticket_keys.insert(site.tls->ticket_keys.begin(), ticket_key_of(*m));
                return false;
            }
            break;
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
        case MasterWorkerType::confinement:
            if (auto m = ipc::decode<ipc::WorkerConfinement>(bytes, has_fd);
                m && m->port_count <= ipc::WorkerConfinement::kMaxPorts && m->restrict_tcp <= 1) {
                auto context = ipc::get_text(m->selinux_context);
                if (context) {
                    site.restrict_tcp = m->restrict_tcp == 1;
                    site.tcp_connect.assign(m->tcp_ports, m->tcp_ports + m->port_count);
                    site.selinux_context = std::string(*context);
                    return false;
                }
            }
            break;
        case MasterWorkerType::ready:
            if (ipc::decode<ipc::WorkerReady>(bytes, has_fd) && handlers_complete(site) &&
                tls_complete(site))
                return true;
            break;
        case MasterWorkerType::cgi:
        case MasterWorkerType::fastcgi:
        case MasterWorkerType::extension:
        case MasterWorkerType::argument:
            if (apply_handler_message(site, type, bytes, has_fd))
                return false;
            break;
        default:
            break;
    }
    return unexpected(std::string("malformed or out-of-order message during start-up"));
}

}  // namespace

TicketKey ticket_key_of(const ipc::WorkerTicketKey& message) {
    TicketKey key;
    std::copy(std::begin(message.name), std::end(message.name), key.name.begin());
    std::copy(std::begin(message.aes_key), std::end(message.aes_key), key.aes_key.begin());
    std::copy(std::begin(message.hmac_key), std::end(message.hmac_key), key.hmac_key.begin());
    return key;
}

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
        auto done = apply_message(site, bytes, datagram->fd);
        if (!done)
            return unexpected(done.error());
        if (*done)
            return site;
    }
}

}  // namespace bulkhead::worker
