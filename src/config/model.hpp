#pragma once
// The validated configuration: what the master plans from. Every value here has been checked;
// names are resolved to numeric ids; sizes are bytes and durations milliseconds.

#include <sys/types.h>

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
    int family = 0;                 // AF_INET or AF_INET6
    std::string address;            // "127.0.0.1", "::1", "0.0.0.0", "::"
    std::uint16_t port = 0;         // 0: any free port (tests)
    std::string text;               // as written, for messages

    bool operator==(const ListenAddress&) const = default;
};

// What answers a name no site owns (server.unknown_host).
struct UnknownHostPolicy {
    int status = 421;               // 421, 404 or 400, answered by the dispatcher, or 0 if site
    std::string site;               // name of the site that answers unknown names, or ""

    bool operator==(const UnknownHostPolicy&) const = default;
};

struct ServerConfig {
    std::vector<ListenAddress> listen;
    std::vector<ListenAddress> tls_listen;
    std::string user = "bulkhead";  // as written
    std::string group = "bulkhead";
    uid_t uid = 0;                  // resolved
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

    bool operator==(const ServerConfig&) const = default;
};

struct WorkerCounts {
    std::uint32_t min = 1;   // 0: no process until the first request
    std::uint32_t max = 4;
    std::uint64_t idle_ms = 60'000;  // a worker above min idle this long is stopped

    bool operator==(const WorkerCounts&) const = default;
};

struct TlsConfig {
    std::string cert;
    std::string key;

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
    std::uint32_t cpu_weight = 100;       // 1..10000
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
    std::vector<std::string> hosts;       // normalized: lowercase, no trailing dot
    std::string user;                     // as written
    std::string group;
    uid_t uid = 0;                        // resolved
    gid_t gid = 0;
    std::string root;                     // absolute, exists, a directory
    std::vector<std::string> index = {"index.html"};
    WorkerCounts workers;
    std::vector<std::string> readable;
    std::vector<std::string> writable;
    std::uint64_t max_body_bytes = 0;     // server.max_body_bytes unless set
    std::optional<TlsConfig> tls;
    std::optional<CgiConfig> cgi;
    std::optional<FastCgiConfig> fastcgi;
    SiteLimits limits;
    NetworkConfig network;
    std::string selinux_context;          // applied with setcon where SELinux is enabled
    SourcePosition position;              // where [[site]] starts, for messages

    bool operator==(const SiteConfig&) const = default;
};

struct Config {
    std::string path;                     // the file it was read from
    ServerConfig server;
    std::vector<SiteConfig> sites;

    const SiteConfig* find_site(const std::string& name) const;

    bool operator==(const Config&) const = default;
};

}  // namespace bulkhead::config
