// What the master tells each role: its slice of the configuration, and the dispatcher the
// comings and goings of workers. Sends only; the master reads nothing but the dispatcher's
// fixed-size reports (on_dispatcher_report).

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <deque>
#include <optional>

#include <stdexcept>

#include "base/log.hpp"
#include "ipc/master_dispatcher.hpp"
#include "ipc/master_worker.hpp"
#include "ipc/protocol.hpp"
#include "master/send_message.hpp"
#include "master/supervisor.hpp"
#include "proto/http_head.hpp"

namespace bulkhead::master {
namespace {

bool send_extensions(int channel, const std::vector<std::string>& extensions,
                     ipc::HandlerKind kind) {
    bool ok = true;
    for (const std::string& extension : extensions) {
        ipc::WorkerExtension message;
        message.handler = kind;
        ok = ok && ipc::set_text(message.extension, extension) && send_message(channel, message);
    }
    return ok;
}

// [site.cgi] and [site.fastcgi], each followed by its extensions (and command).
bool send_handlers(int channel, const config::SiteConfig& site) {
    bool ok = true;
    if (site.cgi) {
        ipc::WorkerCgi cgi;
        cgi.timeout_ms = static_cast<std::uint32_t>(site.cgi->timeout_ms);
        ok = send_message(channel, cgi) &&
             send_extensions(channel, site.cgi->extensions, ipc::HandlerKind::cgi);
    }
    if (site.fastcgi) {
        ipc::WorkerFastCgi fastcgi;
        fastcgi.processes = site.fastcgi->processes;
        fastcgi.timeout_ms = static_cast<std::uint32_t>(site.fastcgi->timeout_ms);
        ok = ok && ipc::set_text(fastcgi.socket, site.fastcgi->socket) &&
             send_message(channel, fastcgi) &&
             send_extensions(channel, site.fastcgi->extensions, ipc::HandlerKind::fastcgi);
        for (const std::string& word : site.fastcgi->command) {
            ipc::WorkerArgument argument;
            ok = ok && ipc::set_text(argument.argument, word) && send_message(channel, argument);
        }
    }
    return ok;
}

ipc::WorkerTls tls_settings(const config::TlsConfig& tls, std::uint16_t https_port) {
    ipc::WorkerTls message;
    message.min_version = tls.min_version;
    message.redirect_http = tls.redirect_http ? 1 : 0;
    message.hsts_include_subdomains = tls.hsts_include_subdomains ? 1 : 0;
    message.https_port = https_port;
    message.hsts_max_age_s = static_cast<std::uint32_t>(tls.hsts_max_age_ms / 1000);
    return message;
}

// One of the site's TLS files as a descriptor. Opened here, just before it is sent, and closed
// when this returns: the master holds no key between spawns, and a renewed file on disk is
// what the next worker gets. Non-blocking, so a FIFO put at the path cannot hang the master.
bool send_tls_file(int channel, ipc::TlsFileKind which, const std::string& path,
                   const std::string& who) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    struct stat info {};
    if (!fd || fstat(fd.get(), &info) != 0) {
        log::error("cannot open ", path, " for ", who, ": ", log::errno_text(errno));
        return false;
    }
    if (!S_ISREG(info.st_mode)) {
        log::error("cannot give ", path, " to ", who, ": not a regular file");
        return false;
    }
    ipc::WorkerTlsFile message;
    message.which = which;
    return send_message(channel, message, fd.get());
}

// [site.tls]: its settings, the certificate chain, the key and (if configured) the OCSP
// response, then the site's session-ticket keys, oldest first.
bool send_tls(int channel, const config::TlsConfig& tls, std::uint16_t https_port,
              const std::deque<ipc::WorkerTicketKey>& ticket_keys, const std::string& who) {
    ipc::WorkerTls settings = tls_settings(tls, https_port);
    bool ok = ipc::set_text(settings.ciphers, tls.ciphers) &&
              ipc::set_text(settings.ciphersuites, tls.ciphersuites) &&
              send_message(channel, settings);
    ok = ok && send_tls_file(channel, ipc::TlsFileKind::certificate_chain, tls.cert, who) &&
         send_tls_file(channel, ipc::TlsFileKind::private_key, tls.key, who);
    if (!tls.ocsp_response.empty()) {
        ok = ok && send_tls_file(channel, ipc::TlsFileKind::ocsp_response, tls.ocsp_response, who);
    }
    for (const ipc::WorkerTicketKey& key : ticket_keys) {
        ok = ok && send_message(channel, key);
    }
    return ok && !ticket_keys.empty();
}

}  // namespace

void Supervisor::send_worker_intake(const Slot& slot) {
    const config::SiteConfig& site = *sites_[slot.site_id].config;
    const config::ServerConfig& server = config_.server;
    ipc::WorkerSettings settings;
    settings.site_id = slot.site_id;
    settings.worker_id = slot.worker_id;
    settings.header_timeout_ms = static_cast<std::uint32_t>(server.header_timeout_ms);
    settings.keepalive_timeout_ms = static_cast<std::uint32_t>(server.keepalive_timeout_ms);
    settings.max_header_bytes = static_cast<std::uint32_t>(server.max_header_bytes);
    settings.max_connections = site.limits.connections;
    settings.max_body_bytes = site.max_body_bytes;
    settings.protocol = ipc::protocol_fingerprint();
    bool ok = ipc::set_text(settings.name, site.name) && ipc::set_text(settings.root, site.root) &&
              send_message(slot.channel.get(), settings);
    for (const std::string& host : site.hosts) {
        ipc::WorkerHost message;
        ok =
            ok && ipc::set_text(message.pattern, host) && send_message(slot.channel.get(), message);
    }
    for (const std::string& index : site.index) {
        ipc::WorkerIndex message;
        ok = ok && ipc::set_text(message.file_name, index) &&
             send_message(slot.channel.get(), message);
    }
    for (auto [paths, access] : {std::pair{&site.readable, ipc::PathAccess::readable},
                                 std::pair{&site.writable, ipc::PathAccess::writable}}) {
        for (const std::string& path : *paths) {
            ipc::WorkerPath message;
            message.access = access;
            ok = ok && ipc::set_text(message.path, path) &&
                 send_message(slot.channel.get(), message);
        }
    }
    ok = ok && send_handlers(slot.channel.get(), site);
    ipc::WorkerConfinement confinement;
    if (site.network.tcp_connect) {
        confinement.restrict_tcp = 1;
        for (std::uint16_t port : *site.network.tcp_connect) {
            if (confinement.port_count < ipc::WorkerConfinement::kMaxPorts) {
                confinement.tcp_ports[confinement.port_count++] = port;
            }
        }
    }
    ok = ok && ipc::set_text(confinement.selinux_context, site.selinux_context) &&
         send_message(slot.channel.get(), confinement);
    if (site.tls) {
        ok = ok && send_tls(slot.channel.get(), *site.tls, https_port_,
                            ticket_keys_.keys_of(site.name), describe(slot));
    }
    ok = ok && send_message(slot.channel.get(), ipc::WorkerReady{});
    if (!ok) {
        // Without `ready` it would wait for the rest; it is replaced with the usual back-off.
        log::error("could not send its configuration to ", describe(slot), "; stopping it");
        kill(slot.pid, SIGKILL);
    }
}

// server.proxy_protocol_from: "192.0.2.0/24", "2001:db8::/32", or a single address.
static std::optional<ipc::ProxyTrust> proxy_trust_of(const std::string& text) {
    std::size_t slash = text.find('/');
    std::string address = text.substr(0, slash);
    ipc::ProxyTrust trust;
    bool v6 = address.find(':') != std::string::npos;
    trust.family = v6 ? 6 : 4;
    trust.prefix_bits = v6 ? 128 : 32;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), trust.address) != 1)
        return std::nullopt;
    if (slash != std::string::npos) {
        int bits = std::atoi(text.c_str() + slash + 1);
        if (bits < 0 || bits > trust.prefix_bits)
            return std::nullopt;
        trust.prefix_bits = static_cast<std::uint8_t>(bits);
    }
    return trust;
}

void Supervisor::send_dispatcher_intake(const Slot& slot) {
    const config::ServerConfig& server = config_.server;
    int channel = slot.channel.get();
    ipc::DispatcherSettings settings;
    settings.uid = server.uid;
    settings.gid = server.gid;
    settings.header_timeout_ms = static_cast<std::uint32_t>(server.header_timeout_ms);
    settings.max_header_bytes = static_cast<std::uint32_t>(server.max_header_bytes);
    settings.protocol = ipc::protocol_fingerprint();
    settings.unknown_host_status = static_cast<std::uint16_t>(server.unknown_host.status);
    for (std::uint32_t id = 0; id < sites_.size(); ++id) {
        if (sites_[id].config->name == server.unknown_host.site)
            settings.unknown_host_site = id;
    }
    bool ok = ipc::set_text(settings.jail_dir, jail_dir_) && send_message(channel, settings);
    for (const Listener& listener : listeners_) {
        ipc::ListenerMessage message;
        message.tls = listener.tls ? 1 : 0;
        ok = ok && send_message(channel, message, listener.socket.get());
    }
    for (std::uint32_t id = 0; id < sites_.size(); ++id) {
        ipc::SiteRoute site;
        site.site_id = id;
        site.min_workers = sites_[id].config->workers.min;
        site.max_workers = sites_[id].config->workers.max;
        site.idle_ms = static_cast<std::uint32_t>(sites_[id].config->workers.idle_ms);
        site.max_connections = sites_[id].config->limits.connections;
        site.tls = sites_[id].config->tls ? 1 : 0;
        ok = ok && ipc::set_text(site.name, sites_[id].config->name) && send_message(channel, site);
        for (const std::string& pattern : sites_[id].config->hosts) {
            ipc::HostRoute host;
            host.site_id = id;
            ok = ok && ipc::set_text(host.pattern, pattern) && send_message(channel, host);
        }
    }
    for (const std::string& range : server.proxy_protocol_from) {
        auto trust = proxy_trust_of(range);  // validated with the configuration already
        ok = ok && trust && send_message(channel, *trust);
    }
    for (const Slot& worker : slots_) {
        if (worker.role != Role::worker || worker.pid == 0 || worker.retiring)
            continue;
        ipc::WorkerAttach attach;
        attach.site_id = worker.site_id;
        attach.worker_id = worker.worker_id;
        ok = ok && send_message(channel, attach, worker.dispatcher_end.get());
    }
    ok = ok && send_message(channel, ipc::DispatcherReady{});
    if (!ok)
        log::error("could not send its configuration to the dispatcher; it will exit");
}

void Supervisor::attach_to_dispatcher(const Slot& worker) {
    const Slot& dispatcher = slots_.front();
    if (dispatcher.pid == 0 || !dispatcher.channel)
        return;  // its intake will include this worker
    ipc::WorkerAttach attach;
    attach.site_id = worker.site_id;
    attach.worker_id = worker.worker_id;
    if (!send_message(dispatcher.channel.get(), attach, worker.dispatcher_end.get())) {
        log::error("could not tell the dispatcher about ", describe(worker));
    }
}

void Supervisor::detach_from_dispatcher(const Slot& worker) {
    const Slot& dispatcher = slots_.front();
    if (dispatcher.pid == 0 || !dispatcher.channel)
        return;
    ipc::WorkerDetach detach;
    detach.worker_id = worker.worker_id;
    send_message(dispatcher.channel.get(), detach);
}

// The dispatcher reports workers that broke the protocol; the master kills them (and the
// supervisor replaces them). Anything else from the dispatcher is a violation of its own.
void Supervisor::on_dispatcher_report() {
    Slot& dispatcher = dispatcher_slot();
    std::byte buffer[64];
    auto datagram = ipc::receive_datagram(dispatcher.channel.get(), buffer);
    if (!datagram) {
        if (datagram.error() != ipc::ChannelError::would_block)
            epoll_.remove(dispatcher.channel.get());
        return;  // closed: its exit status arrives with SIGCHLD
    }
    if (on_pool_message(std::span<const std::byte>(buffer, datagram->size), datagram->fd.valid()))
        return;
    auto violation = ipc::decode<ipc::PeerViolation>(
        std::span<const std::byte>(buffer, datagram->size), datagram->fd.valid());
    if (!violation) {
        log::error("the dispatcher sent a malformed message; killing it");
        kill(dispatcher.pid, SIGKILL);
        return;
    }
    for (Slot& slot : slots_) {
        if (slot.role == Role::worker && slot.worker_id == violation->worker_id && slot.pid > 0) {
            log::error(describe(slot), " broke the dispatcher protocol; killing it");
            kill(slot.pid, SIGKILL);
        }
    }
}

}  // namespace bulkhead::master
