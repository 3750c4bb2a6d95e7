// [site.tls]: the site terminates TLS with its own certificate and key. This reads the keys;
// the files themselves are checked once every site is read (tls_files.cpp, from load.cpp).

#include "config/plan.hpp"
#include "config/sections.hpp"
#include "config/tls_ciphers.hpp"

namespace bulkhead::config::detail {

namespace {

constexpr std::uint64_t kMaxHstsMs = 3650ULL * 24 * 3'600'000;  // "3650d", ten years
// The room in ipc::WorkerTls (512 and 256 bytes, NUL-terminated).
constexpr std::size_t kMaxCiphersLength = 511;
constexpr std::size_t kMaxCiphersuitesLength = 255;

std::optional<std::string> read_absolute_file(const TableReader& tls, std::string_view key,
                                              std::string_view example, std::string_view what) {
    auto path = tls.string(key, quote(example));
    if (path && !is_absolute_path(*path)) {
        tls.problem(key, quote(*path) + " is not an absolute path; write the full path of " +
                             std::string(what) + ", e.g. " + quote(example));
        return std::nullopt;
    }
    return path;
}

void read_files(const TableReader& tls, TlsConfig& out) {
    if (tls.require("cert", "\"/etc/bulkhead/alpha.crt\"")) {
        out.cert = read_absolute_file(tls, "cert", "/etc/bulkhead/alpha.crt",
                                      "the certificate chain (PEM)")
                       .value_or("");
    }
    if (tls.require("key", "\"/etc/bulkhead/alpha.key\"")) {
        out.key = read_absolute_file(tls, "key", "/etc/bulkhead/alpha.key", "the private key (PEM)")
                      .value_or("");
    }
    out.ocsp_response =
        read_absolute_file(tls, "ocsp_response", "/etc/bulkhead/alpha.ocsp", "a DER OCSP response")
            .value_or("");
    out.cert_position = tls.position_of("cert");
    out.key_position = tls.position_of("key");
    out.ocsp_position = tls.position_of("ocsp_response");
}

void read_min_version(const TableReader& tls, TlsConfig& out) {
    auto version = tls.string("min_version", "\"1.2\"");
    if (!version) {
        return;
    }
    if (*version == "1.2") {
        out.min_version = kTls12;
    } else if (*version == "1.3") {
        out.min_version = kTls13;
    } else {
        tls.problem("min_version", quote(*version) +
                                       " is not a TLS version bulkhead offers; write \"1.2\" "
                                       "(1.2 and 1.3) or \"1.3\" (1.3 only)");
    }
}

// ciphers (TLS 1.2) and ciphersuites (TLS 1.3): absent means the default, so "" is a mistake.
// `max_length`: what the worker's message has room for.
void read_cipher_key(const TableReader& tls, std::string_view key, std::string_view example,
                     std::size_t max_length,
                     std::optional<std::string> (*problem_of)(std::string_view), std::string& out) {
    auto list = tls.string(key, quote(example));
    if (!list) {
        return;
    }
    std::optional<std::string> problem;
    if (list->empty()) {
        problem = "\"\" is empty";
    } else if (list->size() > max_length) {
        problem = "the list is longer than " + std::to_string(max_length) + " characters";
    } else {
        problem = problem_of(*list);
    }
    if (problem) {
        tls.problem(key, *problem + "; write e.g. " + quote(example) +
                             ", or remove the key for the default");
        return;
    }
    out = *list;
}

void read_https_options(const TableReader& tls, TlsConfig& out) {
    out.redirect_http = tls.boolean("redirect_http").value_or(false);
    bool hsts_valid = true;  // reported already when not
    if (tls.has("hsts")) {
        auto max_age = tls.duration("hsts", 0, kMaxHstsMs);
        hsts_valid = max_age && *max_age % 1000 == 0;
        if (max_age && !hsts_valid) {
            tls.problem("hsts", quote(format_duration_ms(*max_age)) +
                                    " is not a whole number of seconds, which max-age counts; "
                                    "write e.g. \"365d\"");
        }
        out.hsts_max_age_ms = hsts_valid ? *max_age : 0;
    }
    out.hsts_include_subdomains = tls.boolean("hsts_include_subdomains").value_or(false);
    if (out.hsts_include_subdomains && out.hsts_max_age_ms == 0 && hsts_valid) {
        tls.problem("hsts_include_subdomains",
                    "true has no effect without HSTS; set site.tls.hsts as well, e.g. "
                    "hsts = \"365d\"");
    }
}

}  // namespace

void read_site_tls(const TableReader& site, const ServerRead& server, SiteConfig& config) {
    auto tls = site.table("tls", "[site.tls] with cert and key");
    if (!tls) {
        return;
    }
    tls->reject_unknown_keys({"cert", "key", "min_version", "ciphers", "ciphersuites",
                              "ocsp_response", "redirect_http", "hsts", "hsts_include_subdomains"});
    TlsConfig out;
    read_files(*tls, out);
    read_min_version(*tls, out);
    read_cipher_key(*tls, "ciphers", "ECDHE+AESGCM:ECDHE+CHACHA20", kMaxCiphersLength,
                    cipher_list_problem, out.ciphers);
    read_cipher_key(*tls, "ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
                    kMaxCiphersuitesLength, ciphersuites_problem, out.ciphersuites);
    read_https_options(*tls, out);
    if (!server.tls_listen_written) {
        tls->table_problem(
            "the site has TLS but server.tls_listen is empty; add e.g. tls_listen = [\"*:443\"] "
            "to [server], or remove [site.tls]");
    }
    config.tls = out;
}

}  // namespace bulkhead::config::detail
