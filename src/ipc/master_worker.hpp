#pragma once
// Channel master ⇄ worker (SOCK_SEQPACKET, created by the master; the worker's end is
// descriptor fds::kWorkerMaster).
//
// Order: settings, then any number of host / index / path, cgi and fastcgi (each at most once,
// followed by their extension messages and, for fastcgi, its command word by word), for a site
// with [site.tls]: tls, its tls_file messages (certificate chain and key, an OCSP response if
// configured) and at least one ticket_key; then ready.
// A worker receives its own site's slice of the configuration and nothing of any other site;
// its TLS key travels as a descriptor to this site's workers alone. The worker sends nothing on
// this channel. After ready only log_file (SIGUSR1: logs reopened) and ticket_key (rotation).
// Graceful stop is SIGTERM; the master never reads from a worker.
//
// A standby worker (server.standby_workers) was executed before any site needed it, still
// root, with nothing but this channel. It is given a site by standby_cgroup messages (the
// cgroup.procs files to join), three standby_descriptor messages (its error log, its end of
// dispatcher_worker, its access log) and standby_plan, which ends the assignment. It then
// applies the same confinement steps a freshly started worker's child applies before exec
// (confine/worker_steps.cpp), and from settings on it is an ordinary worker.

#include <cstddef>
#include <cstdint>

#include "ipc/message.hpp"

namespace bulkhead::ipc {

enum class MasterWorkerType : std::uint16_t {
    settings = 1,  // master → worker: the site's scalar settings and document root
    host,          // master → worker: one host pattern the site answers
    index,         // master → worker: one index file name, in order of preference
    path,          // master → worker: a path the site may read or write (Landlock)
    ready,         // master → worker: configuration complete; start serving
    cgi,           // master → worker: [site.cgi] (extensions follow)
    fastcgi,       // master → worker: [site.fastcgi] (extensions and command words follow)
    extension,     // master → worker: one file extension of site.cgi or site.fastcgi
    argument,      // master → worker: one word of site.fastcgi.command, in order
    confinement,   // master → worker: what its own confinement steps need (network, SELinux)
    log_file,      // master → worker, any time after ready: a reopened log file  [descriptor]
    tls,           // master → worker: [site.tls] settings (the site terminates TLS)
    tls_file,      // master → worker: the certificate chain, the key or an OCSP response,
                   // opened by the master (the key may be readable by root only) [descriptor]
    ticket_key,    // master → worker: the site's newest session-ticket key; before ready and
                   // again at every rotation. The worker keeps the newest few for resumption.
    standby_cgroup,      // master → standby: one cgroup.procs file of the site to join
    standby_descriptor,  // master → standby: a descriptor of its site's layout  [descriptor]
    standby_plan,        // master → standby: identity, limits and /tmp; ends the assignment
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
    std::uint32_t protocol = 0;  // ipc::protocol_fingerprint() of the master
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

struct WorkerConfinement {
    static constexpr auto kType = MasterWorkerType::confinement;
    static constexpr bool kTakesFd = false;
    static constexpr std::size_t kMaxPorts = 64;
    MasterWorkerType type = kType;
    std::uint16_t restrict_tcp = 0;  // 1: only tcp_ports may be connected to (site.network)
    std::uint16_t port_count = 0;
    std::uint16_t tcp_ports[kMaxPorts] = {};
    char selinux_context[256] = {};  // empty: none
};

enum class LogFile : std::uint16_t { access = 1, error = 2 };

struct WorkerLogFile {
    static constexpr auto kType = MasterWorkerType::log_file;
    static constexpr bool kTakesFd = true;
    MasterWorkerType type = kType;
    LogFile which = LogFile::access;
};

struct WorkerReady {
    static constexpr auto kType = MasterWorkerType::ready;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
};

struct WorkerCgi {
    static constexpr auto kType = MasterWorkerType::cgi;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t timeout_ms = 60'000;
};

struct WorkerFastCgi {
    static constexpr auto kType = MasterWorkerType::fastcgi;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    std::uint16_t reserved = 0;
    std::uint32_t processes = 2;
    std::uint32_t timeout_ms = 60'000;
    char socket[108] = {};  // an existing server's Unix socket (sun_path), or "" with a command
};

enum class HandlerKind : std::uint16_t { cgi = 1, fastcgi = 2 };

struct WorkerExtension {
    static constexpr auto kType = MasterWorkerType::extension;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    HandlerKind handler = HandlerKind::cgi;
    char extension[64] = {};  // ".cgi"
};

struct WorkerArgument {
    static constexpr auto kType = MasterWorkerType::argument;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    char argument[4096] = {};
};

// [site.tls]. Versions are the wire values: 0x0303 TLS 1.2, 0x0304 TLS 1.3.
struct WorkerTls {
    static constexpr auto kType = MasterWorkerType::tls;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    std::uint16_t min_version = 0x0303;
    std::uint8_t redirect_http = 0;  // 1: plaintext requests get 308 to https://
    std::uint8_t hsts_include_subdomains = 0;
    std::uint16_t https_port = 443;    // for redirects: the first tls_listen port
    std::uint32_t hsts_max_age_s = 0;  // 0: no Strict-Transport-Security header
    char ciphers[512] = {};            // TLS 1.2 cipher list (OpenSSL syntax); "": default
    char ciphersuites[256] = {};       // TLS 1.3 suites; "": default
};

enum class TlsFileKind : std::uint16_t {
    certificate_chain = 1,
    private_key = 2,
    ocsp_response = 3
};

struct WorkerTlsFile {
    static constexpr auto kType = MasterWorkerType::tls_file;
    static constexpr bool kTakesFd = true;
    MasterWorkerType type = kType;
    TlsFileKind which = TlsFileKind::certificate_chain;
};

// Session-ticket keys a site keeps (the master) and accepts (each worker): the newest seals,
// all open, so a ticket stays good for kKeptTicketKeys - 1 rotations after its key's.
inline constexpr std::size_t kKeptTicketKeys = 3;

// RFC 5077 layout: a key name the ticket carries, an AES-256 key and an HMAC-SHA256 key.
struct WorkerTicketKey {
    static constexpr auto kType = MasterWorkerType::ticket_key;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    std::uint8_t name[16] = {};
    std::uint8_t aes_key[32] = {};
    std::uint8_t hmac_key[32] = {};
};

struct StandbyCgroup {
    static constexpr auto kType = MasterWorkerType::standby_cgroup;
    static constexpr bool kTakesFd = false;
    MasterWorkerType type = kType;
    char procs[4096] = {};  // absolute path of a cgroup.procs file
};

// Where a standby puts each descriptor it is given (ipc/fd_numbers.hpp).
enum class StandbyDescriptor : std::uint16_t { error_log = 1, dispatcher_channel = 2, access_log = 3 };

struct StandbyDescriptorMessage {
    static constexpr auto kType = MasterWorkerType::standby_descriptor;
    static constexpr bool kTakesFd = true;
    MasterWorkerType type = kType;
    StandbyDescriptor which = StandbyDescriptor::error_log;
};

// The rest of the confinement plan the master would have applied before exec.
struct StandbyPlan {
    static constexpr auto kType = MasterWorkerType::standby_plan;
    static constexpr bool kTakesFd = false;
    static constexpr std::size_t kMaxLimits = 4;
    struct Limit {
        std::uint32_t resource = 0;  // RLIMIT_*
        std::uint32_t reserved = 0;
        std::uint64_t soft = 0;
        std::uint64_t hard = 0;
    };
    MasterWorkerType type = kType;
    std::uint16_t limit_count = 0;
    std::uint32_t protocol = 0;  // ipc::protocol_fingerprint() of the master
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::uint32_t min_uid = 1;
    std::uint32_t min_gid = 1;
    std::int32_t nice = 0;  // the scheduling priority the worker runs at (the master's)
    std::uint32_t reserved = 0;
    Limit limits[kMaxLimits] = {};
    char private_tmp[4096] = {};  // bind-mounted over /tmp in the site's mount namespace
};

static_assert(sizeof(StandbyCgroup) == 4098);
static_assert(sizeof(StandbyDescriptorMessage) == 4);
static_assert(sizeof(StandbyPlan) == 4224);
static_assert(sizeof(WorkerTls) == 780);
static_assert(sizeof(WorkerTlsFile) == 4);
static_assert(sizeof(WorkerTicketKey) == 82);
static_assert(sizeof(WorkerSettings) == 4200);
static_assert(sizeof(WorkerCgi) == 8);
static_assert(sizeof(WorkerFastCgi) == 120);
static_assert(sizeof(WorkerExtension) == 68);
static_assert(sizeof(WorkerArgument) == 4098);
static_assert(sizeof(WorkerHost) == 258);
static_assert(sizeof(WorkerIndex) == 258);
static_assert(sizeof(WorkerReady) == 2);
static_assert(sizeof(WorkerConfinement) == 390);
static_assert(sizeof(WorkerLogFile) == 4);
static_assert(sizeof(WorkerPath) == 4100);

}  // namespace bulkhead::ipc
