#pragma once
// The validated configuration: what the master plans from. Every value here has been checked;
// names are resolved to numeric ids; sizes are bytes and durations milliseconds.

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bulkhead::config {

struct SourcePosition {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    // Where a setting was written is not part of what it means: moving a site in the file
    // does not change it (reload compares sites with ==).
    bool operator==(const SourcePosition&) const { return true; }
};

struct ListenAddress {
    int family = 0;          // AF_INET or AF_INET6
    std::string address;     // "127.0.0.1", "::1", "0.0.0.0", "::"
    std::uint16_t port = 0;  // 0: any free port (tests)
    std::string text;        // as written, for messages

    bool operator==(const ListenAddress&) const = default;
};

// What answers a name no site owns (server.unknown_host).
struct UnknownHostPolicy {
    int status = 421;  // 421, 404 or 400, answered by the dispatcher, or 0 if site
    std::string site;  // name of the site that answers unknown names, or ""

    bool operator==(const UnknownHostPolicy&) const = default;
};

struct ServerConfig {
    std::vector<ListenAddress> listen;
    std::vector<ListenAddress> tls_listen;
    std::string user = "bulkhead";  // as written
    std::string group = "bulkhead";
    uid_t uid = 0;  // resolved
    gid_t gid = 0;
    std::string state_dir = "/var/lib/bulkhead";
    std::string log_dir = "/var/log/bulkhead";
    std::uint32_t min_site_uid = 1000;
    std::uint32_t min_site_gid = 1000;
    UnknownHostPolicy unknown_host;
    std::uint64_t header_timeout_ms = 10'000;
    std::uint64_t keepalive_timeout_ms = 15'000;
    std::uint64_t max_header_bytes = 16 * 1024;
    std::uint64_t max_body_bytes = 10 * 1024 * 1024;
    std::uint64_t shutdown_timeout_ms = 30'000;
    std::vector<std::string> proxy_protocol_from;  // addresses/CIDRs, validated
    // Workers executed ahead of need, root and site-less until a site needs a new worker
    // (master/standby.cpp); 0: every worker is started from scratch.
    std::uint32_t standby_workers = 2;

    bool operator==(const ServerConfig&) const = default;
};

struct WorkerCounts {
    std::uint32_t min = 1;  // 0: no process until the first request
    std::uint32_t max = 4;
    std::uint64_t idle_ms = 60'000;  // a worker above min idle this long is stopped

    bool operator==(const WorkerCounts&) const = default;
};

// Read from a site's certificate, key and OCSP files at load (tls_files.cpp).
struct TlsFileFacts {
    std::uint32_t chain_length = 0;  // certificates in the cert file, leaf first
    std::int64_t not_before = 0;     // the leaf's validity, seconds since the epoch (UTC)
    std::int64_t not_after = 0;
    // Of the three files' contents: a renewed certificate makes the site "changed" at reload
    // (new workers) even when the configuration text is the same.
    std::array<std::uint8_t, 32> contents_sha256{};

    bool operator==(const TlsFileFacts&) const = default;
};

inline constexpr std::uint16_t kTls12 = 0x0303;  // wire values of the protocol versions
inline constexpr std::uint16_t kTls13 = 0x0304;

struct TlsConfig {
    std::string cert;                    // PEM chain, leaf first
    std::string key;                     // PEM; may be readable by root only
    std::string ocsp_response;           // DER OCSP response to staple, or ""
    std::uint16_t min_version = kTls12;  // kTls12 or kTls13
    std::string ciphers;                 // TLS 1.2 list (OpenSSL syntax); "": the worker's default
    std::string ciphersuites;            // TLS 1.3 suites; "": OpenSSL's default
    bool redirect_http = false;          // plaintext requests get 308 to https://
    std::uint64_t hsts_max_age_ms = 0;   // 0: no Strict-Transport-Security
    bool hsts_include_subdomains = false;
    TlsFileFacts files;
    // Where the file names were written, for the file checks' messages.
    SourcePosition cert_position;
    SourcePosition key_position;
    SourcePosition ocsp_position;

    bool operator==(const TlsConfig&) const = default;
};

struct CgiConfig {
    std::vector<std::string> extensions;  // ".cgi"
    std::uint64_t timeout_ms = 60'000;

    bool operator==(const CgiConfig&) const = default;
};

struct FastCgiConfig {
    std::vector<std::string> extensions;  // ".php"
    std::vector<std::string> command;     // spawned as the site, or empty when `socket` is set
    std::string socket;                   // an existing FastCGI server
    std::uint32_t processes = 2;
    std::uint64_t timeout_ms = 60'000;

    bool operator==(const FastCgiConfig&) const = default;
};

struct SiteLimits {
    std::optional<std::uint64_t> memory_bytes;
    std::optional<std::uint32_t> pids;
    std::uint32_t cpu_weight = 100;  // 1..10000
    std::uint32_t connections = 1000;

    bool operator==(const SiteLimits&) const = default;
};

// Outbound network of the site's processes (Landlock ABI >= 4).
struct NetworkConfig {
    std::optional<std::vector<std::uint16_t>> tcp_connect;  // ports they may connect to; unset: any

    bool operator==(const NetworkConfig&) const = default;
};

struct SiteConfig {
    std::string name;
    std::vector<std::string> hosts;  // normalized: lowercase, no trailing dot
    std::string user;                // as written
    std::string group;
    uid_t uid = 0;  // resolved
    gid_t gid = 0;
    std::string root;  // absolute, exists, a directory
    std::vector<std::string> index = {"index.html"};
    WorkerCounts workers;
    std::vector<std::string> readable;
    std::vector<std::string> writable;
    std::uint64_t max_body_bytes = 0;  // server.max_body_bytes unless set
    std::optional<TlsConfig> tls;
    std::optional<CgiConfig> cgi;
    std::optional<FastCgiConfig> fastcgi;
    SiteLimits limits;
    NetworkConfig network;
    std::string selinux_context;  // applied with setcon where SELinux is enabled
    SourcePosition position;      // where [[site]] starts, for messages

    bool operator==(const SiteConfig&) const = default;
};

// One problem of a configuration, at its place in the file. Errors stop a load; warnings
// (a certificate about to expire) are printed by `check` and logged by `run`.
struct Problem {
    std::string file;
    std::uint32_t line = 0;  // 0 when the problem has no place in the file (e.g. unreadable)
    std::uint32_t column = 0;
    std::string message;
    bool warning = false;

    std::string to_string() const;  // "FILE:LINE:COLUMN: message", "...: warning: message"
};

// The warnings of a valid configuration. They say something about the moment of loading (days
// until expiry), not what the configuration means: reload's comparison ignores them.
struct Warnings {
    std::vector<Problem> list;

    bool operator==(const Warnings&) const { return true; }
};

struct Config {
    std::string path;  // the file it was read from
    ServerConfig server;
    std::vector<SiteConfig> sites;
    Warnings warnings;

    const SiteConfig* find_site(const std::string& name) const;

    bool operator==(const Config&) const = default;
};

}  // namespace bulkhead::config
