#pragma once
// The worker's slice of the configuration: its own site and nothing of any other.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "proto/host.hpp"

namespace bulkhead::worker {

// [site.cgi]: files with these endings run as CGI scripts, each for at most timeout_ms.
struct CgiSettings {
    std::vector<std::string> extensions;
    std::uint32_t timeout_ms = 60'000;
};

// [site.fastcgi]: files with these endings go to the FastCGI application: `command`, spawned
// as `processes` processes by each worker, or the server already listening on `socket`.
struct FastCgiSettings {
    std::vector<std::string> extensions;
    std::vector<std::string> command;  // program and arguments; empty when `socket` is set
    std::string socket;
    std::uint32_t processes = 2;
    std::uint32_t timeout_ms = 60'000;
};

// One session-ticket key (ipc::WorkerTicketKey): the name travels in the ticket.
struct TicketKey {
    std::array<std::uint8_t, 16> name{};
    std::array<std::uint8_t, 32> aes_key{};
    std::array<std::uint8_t, 32> hmac_key{};
};

// [site.tls]: this site terminates TLS with its own certificate and key. The descriptors were
// opened by the master (the key may be readable by root only) and reach this site's workers
// alone; the worker keeps them open for its lifetime.
struct TlsSettings {
    std::uint16_t min_version = 0x0303;  // wire value: 0x0303 TLS 1.2, 0x0304 TLS 1.3
    std::string ciphers;                 // TLS 1.2 cipher list; "": the built-in policy
    std::string ciphersuites;            // TLS 1.3; "": OpenSSL's default
    bool redirect_http = false;          // plaintext requests get 308 to https://
    std::uint16_t https_port = 443;
    std::uint32_t hsts_max_age_s = 0;  // 0: no Strict-Transport-Security
    bool hsts_include_subdomains = false;
    UniqueFd certificate_chain;
    UniqueFd private_key;
    UniqueFd ocsp_response;              // optional
    std::vector<TicketKey> ticket_keys;  // newest first

    // The Strict-Transport-Security value of TLS answers, or "" when the site sets no HSTS.
    std::string strict_transport_security() const {
        if (hsts_max_age_s == 0)
            return {};
        return "max-age=" + std::to_string(hsts_max_age_s) +
               (hsts_include_subdomains ? "; includeSubDomains" : "");
    }
};

struct Site {
    std::string name;
    std::uint32_t site_id = 0;
    std::uint32_t worker_id = 0;
    proto::HostTable hosts;  // the names this site answers (one site id: 0)
    std::string root;        // document root path, for messages
    UniqueFd root_fd;        // O_PATH | O_DIRECTORY, opened as the site
    std::vector<std::string> index_files;
    std::vector<std::string> readable;  // extra read-only paths (site.readable)
    std::vector<std::string> writable;  // paths the site may write (site.writable)
    bool restrict_tcp = false;          // site.network.tcp_connect is set
    std::vector<std::uint16_t> tcp_connect;
    std::string selinux_context;
    std::uint32_t header_timeout_ms = 10'000;
    std::uint32_t keepalive_timeout_ms = 15'000;
    std::uint32_t max_header_bytes = 16 * 1024;
    std::uint32_t max_connections = 1000;
    std::uint64_t max_body_bytes = 10 * 1024 * 1024;
    std::optional<CgiSettings> cgi;
    std::optional<FastCgiSettings> fastcgi;
    std::optional<TlsSettings> tls;

    bool owns(std::string_view normalized_host) const {
        return hosts.find(normalized_host).has_value();
    }
};

}  // namespace bulkhead::worker
