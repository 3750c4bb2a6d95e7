// Route a TLS connection by the server name (SNI) of its ClientHello, peeked, never read:
// the handshake bytes stay in the kernel for the site's worker, which terminates TLS with
// the site's own certificate and key. The dispatcher holds no key and decrypts nothing.

#include <optional>
#include <string>
#include <string_view>

#include "dispatcher/dispatcher.hpp"
#include "dispatcher/tls_alert.hpp"
#include "proto/client_hello.hpp"
#include "proto/host.hpp"

namespace bulkhead::dispatcher {
namespace {

// The SNI host_name, normalized by the same rules as Host; nullopt when it is no host name.
// A port or an IPv6 literal, fine in a Host header, cannot appear in a server name (RFC 6066
// section 3).
std::optional<std::string> normalized_server_name(std::string_view name) {
    if (name.find_first_of(":[]") != std::string_view::npos)
        return std::nullopt;
    return proto::normalize_host(name);
}

}  // namespace

void Dispatcher::route_client_hello(PendingConnection& pending, std::span<const std::byte> bytes) {
    proto::ClientHelloInfo hello = proto::parse_client_hello(bytes);
    if (hello.status == proto::HelloStatus::need_more) {
        // The rest may still come, until the header deadline closes the connection in
        // silence; once the client has half-closed, it never will.
        if (pending.peer_closed)
            send_and_linger(pending, {});
        return;
    }
    if (hello.status == proto::HelloStatus::error) {
        return send_and_linger(pending, fatal_alert_record(TlsAlert::decode_error));
    }
    if (hello.server_name.empty())
        return route_unknown_name(pending);
    std::optional<std::string> name = normalized_server_name(hello.server_name);
    if (!name) {
        // As OpenSSL answers a server name it cannot take; no site is asked to serve it.
        return send_and_linger(pending, fatal_alert_record(TlsAlert::unrecognized_name));
    }
    if (std::optional<std::uint32_t> site = table_.route_tls(*name)) {
        return route_to_site(pending, *site, ipc::kConnectionTls);
    }
    route_unknown_name(pending);
}

// No server name, or one no TLS site owns: server.unknown_host decides, as for Host. The
// site it names must terminate TLS itself (its certificate will not match the name; the
// client decides whether to go on); otherwise the handshake ends here.
void Dispatcher::route_unknown_name(PendingConnection& pending) {
    std::uint32_t fallback = settings_.unknown_host_site;
    if (settings_.unknown_host_status == 0 && table_.terminates_tls(fallback)) {
        return route_to_site(pending, fallback, ipc::kConnectionTls | ipc::kServeAnyHost);
    }
    send_and_linger(pending, fatal_alert_record(TlsAlert::unrecognized_name));
}

}  // namespace bulkhead::dispatcher
