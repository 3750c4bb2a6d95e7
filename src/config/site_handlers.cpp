// A site's sub-tables: [site.cgi], [site.fastcgi], [site.limits] and [site.network]
// ([site.tls] is site_tls.cpp's).

#include <algorithm>
#include <limits>

#include "config/sections.hpp"

namespace bulkhead::config::detail {

namespace {

constexpr std::uint64_t kDay = 24 * 3'600'000;
constexpr std::int64_t kMaxPids = 4'194'304;  // the kernel's PID_MAX_LIMIT

using Extensions = std::vector<Located<std::string>>;

std::optional<std::string> read_absolute_path(const TableReader& table, std::string_view key,
                                              std::string_view example, std::string_view what) {
    auto path = table.string(key, quote(example));
    if (path && !is_absolute_path(*path)) {
        table.problem(key, quote(*path) + " is not an absolute path; write the full path of " +
                               std::string(what) + ", e.g. " + quote(example));
        return std::nullopt;
    }
    return path;
}

bool is_extension(std::string_view text) {
    return text.size() >= 2 && text.front() == '.' &&
           text.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

// The required, non-empty `extensions` of [site.cgi] or [site.fastcgi].
Extensions read_extensions(const TableReader& table, std::string_view example,
                           std::vector<std::string>& out) {
    std::string array = "[" + quote(example) + "]";
    if (!table.require("extensions", array)) {
        return {};
    }
    auto items = table.strings("extensions", array);
    if (items && items->empty()) {
        table.problem("extensions", "[] is empty; list the file endings to run, e.g. " + array);
    }
    Extensions valid;
    for (const auto& item : items.value_or(Extensions{})) {
        if (!is_extension(item.value)) {
            table.problem_at(item.position, "extensions",
                             quote(item.value) +
                                 " is not a file extension; write it with its dot, e.g. " +
                                 quote(example));
            continue;
        }
        out.push_back(item.value);
        valid.push_back(item);
    }
    return valid;
}

Extensions read_cgi(const TableReader& site, SiteConfig& config) {
    auto cgi = site.table("cgi", "[site.cgi] with extensions and timeout");
    if (!cgi) {
        return {};
    }
    cgi->reject_unknown_keys({"extensions", "timeout"});
    CgiConfig out;
    Extensions extensions = read_extensions(*cgi, ".cgi", out.extensions);
    out.timeout_ms = cgi->duration("timeout", 1, kDay).value_or(out.timeout_ms);
    config.cgi = out;
    return extensions;
}

void read_fastcgi_command(const TableReader& fastcgi, FastCgiConfig& out) {
    auto items = fastcgi.strings("command", "[\"/usr/bin/php-cgi\"]");
    if (!items) {
        return;
    }
    if (items->empty()) {
        fastcgi.problem("command",
                        "[] is empty; write the program and its arguments, e.g. "
                        "[\"/usr/bin/php-cgi\"]");
        return;
    }
    const auto& program = items->front();
    if (!is_absolute_path(program.value)) {
        fastcgi.problem_at(program.position, "command",
                           quote(program.value) +
                               " is not an absolute path; write the program's full path, e.g. "
                               "\"/usr/bin/php-cgi\"");
        return;
    }
    for (const auto& item : *items) {
        out.command.push_back(item.value);
    }
}

// Exactly one of `command` (an application spawned as the site) and `socket` (one that runs).
void read_fastcgi_application(const TableReader& fastcgi, FastCgiConfig& out) {
    bool has_command = fastcgi.has("command");
    bool has_socket = fastcgi.has("socket");
    if (has_command && has_socket) {
        fastcgi.problem("socket",
                        "cannot be set together with command; keep one: command to spawn the "
                        "application as the site, or socket to use a FastCGI server that "
                        "already runs");
    } else if (!has_command && !has_socket) {
        fastcgi.table_problem(
            "needs command or socket; add e.g. command = [\"/usr/bin/php-cgi\"] (spawned as the "
            "site) or socket = \"/run/php/alpha.sock\" (a running server)");
    }
    read_fastcgi_command(fastcgi, out);
    out.socket = read_absolute_path(fastcgi, "socket", "/run/php/alpha.sock",
                                    "the FastCGI server's Unix socket")
                     .value_or("");
}

void read_fastcgi(const TableReader& site, SiteConfig& config, const Extensions& cgi) {
    auto fastcgi = site.table("fastcgi", "[site.fastcgi] with extensions and command or socket");
    if (!fastcgi) {
        return;
    }
    fastcgi->reject_unknown_keys({"extensions", "command", "socket", "processes", "timeout"});
    FastCgiConfig out;
    for (const auto& extension : read_extensions(*fastcgi, ".php", out.extensions)) {
        auto same = [&](const auto& other) { return other.value == extension.value; };
        auto other = std::find_if(cgi.begin(), cgi.end(), same);
        if (other != cgi.end()) {
            fastcgi->problem_at(extension.position, "extensions",
                                quote(extension.value) + " is also in site.cgi.extensions (line " +
                                    std::to_string(other->position.line) +
                                    "); give each extension to one handler");
        }
    }
    read_fastcgi_application(*fastcgi, out);
    if (auto processes = fastcgi->integer("processes", 1, 256)) {
        out.processes = static_cast<std::uint32_t>(*processes);
    }
    out.timeout_ms = fastcgi->duration("timeout", 1, kDay).value_or(out.timeout_ms);
    config.fastcgi = out;
}

void read_limits(const TableReader& site, SiteConfig& config) {
    auto limits = site.table("limits", "[site.limits] with memory, pids, cpu_weight, connections");
    if (!limits) {
        return;
    }
    limits->reject_unknown_keys({"memory", "pids", "cpu_weight", "connections"});
    SiteLimits& out = config.limits;
    out.memory_bytes =
        limits->size("memory", std::uint64_t{1} << 20, std::numeric_limits<std::uint64_t>::max());
    if (auto pids = limits->integer("pids", 1, kMaxPids)) {
        out.pids = static_cast<std::uint32_t>(*pids);
    }
    if (auto weight = limits->integer("cpu_weight", 1, 10'000)) {
        out.cpu_weight = static_cast<std::uint32_t>(*weight);
    }
    if (auto connections = limits->integer("connections", 1, 1'000'000'000)) {
        out.connections = static_cast<std::uint32_t>(*connections);
    }
}

void read_network(const TableReader& site, SiteConfig& config) {
    auto network = site.table("network", "[site.network] with tcp_connect = [443, 3306]");
    if (!network) {
        return;
    }
    network->reject_unknown_keys({"tcp_connect"});
    if (auto ports = network->integers("tcp_connect", 1, 65535)) {
        if (ports->size() > 64) {
            network->problem("tcp_connect", std::to_string(ports->size()) +
                                                " ports listed; at most 64 are supported");
            return;
        }
        std::vector<std::uint16_t> allowed;
        for (std::int64_t port : *ports)
            allowed.push_back(static_cast<std::uint16_t>(port));
        config.network.tcp_connect = allowed;
    }
}

}  // namespace

void read_site_handlers(const TableReader& site, const ServerRead& server, SiteConfig& config) {
    read_site_tls(site, server, config);
    Extensions cgi = read_cgi(site, config);
    read_fastcgi(site, config, cgi);
    read_limits(site, config);
    read_network(site, config);
}

}  // namespace bulkhead::config::detail
