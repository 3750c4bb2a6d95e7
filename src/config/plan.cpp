// The resolved plan, as `bulkhead check` prints it: one aligned "label  value" line per fact.

#include "config/plan.hpp"

#include <sstream>
#include <vector>

#include "config/tls_files.hpp"

namespace bulkhead::config {

namespace {

class PlanWriter {
  public:
    void heading(const std::string& text) {
        if (out_.tellp() > 0) {
            out_ << "\n";
        }
        out_ << text << "\n";
    }
    void line(const std::string& label, const std::string& value) {
        out_ << "  " << label << std::string(label.size() < 16 ? 16 - label.size() : 1, ' ')
             << value << "\n";
    }
    std::string str() const { return out_.str(); }

  private:
    std::ostringstream out_;
};

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
    if (items.empty()) {
        return "(none)";
    }
    std::string out = items.front();
    for (std::size_t i = 1; i < items.size(); ++i) {
        out += separator + items[i];
    }
    return out;
}

std::string join_listeners(const std::vector<ListenAddress>& addresses) {
    std::vector<std::string> texts;
    for (const auto& address : addresses) {
        texts.push_back(address.text + (address.port == 0 ? " (any free port)" : ""));
    }
    return join(texts);
}

bool is_number(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// "alpha (uid 40101)" for a name, "uid 40101" for a number.
std::string identity(const std::string& name, std::uint32_t id, const char* kind) {
    std::string number = std::string(kind) + " " + std::to_string(id);
    return is_number(name) || name.empty() ? number : name + " (" + number + ")";
}

std::string unknown_host_status(const UnknownHostPolicy& policy) {
    switch (policy.status) {
        case 0:
            return "answered by site " + policy.site;
        case 400:
            return "400 Bad Request, answered by the dispatcher";
        case 404:
            return "404 Not Found, answered by the dispatcher";
        default:
            return std::to_string(policy.status) +
                   " Misdirected Request, answered by the dispatcher";
    }
}

// Over TLS the dispatcher cannot answer anything (it holds no certificate): a TLS connection
// with an unknown name (or none) goes to the unknown_host site if that site has TLS, and is
// refused with an alert otherwise.
std::string unknown_host(const Config& config) {
    const UnknownHostPolicy& policy = config.server.unknown_host;
    std::string text = unknown_host_status(policy);
    if (config.server.tls_listen.empty()) {
        return text;
    }
    const SiteConfig* site = policy.status == 0 ? config.find_site(policy.site) : nullptr;
    if (site && site->tls) {
        return text + " (TLS: with its certificate)";
    }
    return text + (site ? " (TLS: refused with an alert, the site has no [site.tls])"
                        : " (TLS: refused with an alert)");
}

void describe_server(const Config& config, PlanWriter& plan) {
    const ServerConfig& server = config.server;
    plan.heading("server");
    plan.line("listen", join_listeners(server.listen));
    plan.line("tls_listen", join_listeners(server.tls_listen));
    plan.line("dispatcher", identity(server.user, server.uid, "uid") + ", " +
                                identity(server.group, server.gid, "gid"));
    plan.line("state_dir", server.state_dir);
    plan.line("log_dir", server.log_dir + " (server log " + server.log_dir + "/bulkhead.log)");
    plan.line("site ids", "uid >= " + std::to_string(server.min_site_uid) +
                              ", gid >= " + std::to_string(server.min_site_gid));
    plan.line("timeouts", "request head " + format_duration_ms(server.header_timeout_ms) +
                              ", keep-alive " + format_duration_ms(server.keepalive_timeout_ms) +
                              ", shutdown " + format_duration_ms(server.shutdown_timeout_ms));
    plan.line("limits", "request head " + format_size(server.max_header_bytes) + ", body " +
                            format_size(server.max_body_bytes) + " (default for sites)");
    plan.line("unknown hosts", unknown_host(config));
    plan.line("proxy protocol", server.proxy_protocol_from.empty()
                                    ? std::string("not accepted")
                                    : "from " + join(server.proxy_protocol_from));
}

std::string workers(const WorkerCounts& counts) {
    std::string range = std::to_string(counts.min) + " to " + std::to_string(counts.max);
    if (counts.min == 0)
        range += " (none until the first request)";
    if (counts.max > counts.min)
        range += ", idle ones above " + std::to_string(counts.min) + " stop after " +
                 format_duration_ms(counts.idle_ms);
    return range;
}

std::string fastcgi(const FastCgiConfig& config) {
    std::string application = config.socket.empty()
                                  ? "spawns " + join(config.command, " ") + " (" +
                                        std::to_string(config.processes) +
                                        (config.processes == 1 ? " process)" : " processes)")
                                  : "connects to " + config.socket;
    return join(config.extensions) + ": " + application + ", timeout " +
           format_duration_ms(config.timeout_ms);
}

std::string limits(const SiteLimits& limits) {
    return "memory " +
           (limits.memory_bytes ? format_size(*limits.memory_bytes) : std::string("unlimited")) +
           ", pids " + (limits.pids ? std::to_string(*limits.pids) : std::string("unlimited")) +
           ", cpu weight " + std::to_string(limits.cpu_weight) + ", connections " +
           std::to_string(limits.connections);
}

void describe_tls(const TlsConfig& tls, PlanWriter& plan) {
    const TlsFileFacts& files = tls.files;
    plan.line("tls", "cert " + tls.cert + " (chain of " + std::to_string(files.chain_length) +
                         ", valid until " + format_date(files.not_after) + "), key " + tls.key);
    std::string versions = tls.min_version == kTls13 ? "1.3 only" : "1.2 and 1.3";
    plan.line("tls versions", versions + "; ciphers " +
                                  (tls.ciphers.empty() ? "default" : tls.ciphers) + "; suites " +
                                  (tls.ciphersuites.empty() ? "default" : tls.ciphersuites));
    plan.line("ocsp stapling", tls.ocsp_response.empty() ? "none" : tls.ocsp_response);
    std::string https = tls.redirect_http ? "http redirected to https (308)" : "http served too";
    if (tls.hsts_max_age_ms == 0) {
        https += ", no HSTS";
    } else {
        https += ", HSTS max-age " + format_duration_ms(tls.hsts_max_age_ms) +
                 (tls.hsts_include_subdomains ? " with subdomains" : "");
    }
    plan.line("https", https);
}

void describe_handlers(const SiteConfig& site, PlanWriter& plan) {
    if (site.tls) {
        describe_tls(*site.tls, plan);
    }
    if (site.cgi) {
        plan.line("cgi", join(site.cgi->extensions) + ", timeout " +
                             format_duration_ms(site.cgi->timeout_ms));
    }
    if (site.fastcgi) {
        plan.line("fastcgi", fastcgi(*site.fastcgi));
    }
    plan.line("limits", limits(site.limits));
    std::string outbound = "any TCP port";
    if (site.network.tcp_connect) {
        outbound = "TCP ports";
        for (std::uint16_t port : *site.network.tcp_connect)
            outbound += " " + std::to_string(port);
        if (site.network.tcp_connect->empty())
            outbound = "no TCP connections";
    }
    plan.line("outbound", outbound);
    if (!site.selinux_context.empty())
        plan.line("selinux", site.selinux_context);
}

void describe_site(const Config& config, const SiteConfig& site, PlanWriter& plan) {
    plan.heading("site " + site.name + " (line " + std::to_string(site.position.line) + ")");
    plan.line("hosts", join(site.hosts));
    plan.line("runs as",
              identity(site.user, site.uid, "uid") + ", " + identity(site.group, site.gid, "gid"));
    plan.line("root", site.root);
    plan.line("index", join(site.index));
    plan.line("workers", workers(site.workers));
    plan.line("readable", join(site.readable));
    plan.line("writable", join(site.writable));
    plan.line("max body", format_size(site.max_body_bytes));
    describe_handlers(site, plan);
    const std::string& logs = config.server.log_dir;
    plan.line("logs",
              logs + "/" + site.name + ".access.log, " + logs + "/" + site.name + ".error.log");
}

}  // namespace

std::string describe_plan(const Config& config) {
    PlanWriter plan;
    plan.heading("configuration " + config.path);
    describe_server(config, plan);
    for (const SiteConfig& site : config.sites) {
        describe_site(config, site, plan);
    }
    return plan.str();
}

}  // namespace bulkhead::config
