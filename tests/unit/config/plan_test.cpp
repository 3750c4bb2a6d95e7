// describe_plan: every fact `bulkhead check` promises appears in the plan.

#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config/plan.hpp"
#include "fake_environment.hpp"

namespace bulkhead::config {
namespace {

const char* kConfig = R"([server]
listen = ["127.0.0.1:8080", "127.0.0.1:0"]
tls_listen = ["[::1]:8443"]
state_dir = "/var/lib/bulkhead"
log_dir = "/var/log/bh"
unknown_host = "beta"
header_timeout = "250ms"
max_header_bytes = "32K"

[[site]]
name = "alpha"
hosts = ["alpha.example", "*.alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
index = ["index.php"]
workers = { min = 0, max = 8 }
writable = ["/srv/alpha/uploads"]
[site.tls]
cert = "/etc/bulkhead/alpha.crt"
key = "/etc/bulkhead/alpha.key"
[site.cgi]
extensions = [".cgi", ".pl"]
[site.fastcgi]
extensions = [".php"]
command = ["/usr/bin/php-cgi", "-c", "/etc/php.ini"]
[site.limits]
memory = "512M"
pids = 64

[[site]]
name = "beta"
hosts = ["beta.example"]
user = 40102
root = "/srv/beta/public"
[site.fastcgi]
extensions = [".php"]
socket = "/run/php/beta.sock"
processes = 1
)";

std::string plan() {
    auto config = parse_config(kConfig, "/etc/bulkhead.toml", testing::fake_environment());
    EXPECT_TRUE(config.has_value());
    return config ? describe_plan(*config) : std::string();
}

TEST(DescribePlan, ListsTheServer) {
    std::string text = plan();
    const char* expected[] = {
        "configuration /etc/bulkhead.toml\n",
        "\nserver\n",
        "  listen          127.0.0.1:8080, 127.0.0.1:0 (any free port)\n",
        "  tls_listen      [::1]:8443\n",
        "  dispatcher      bulkhead (uid 40100), bulkhead (gid 40100)\n",
        "  state_dir       /var/lib/bulkhead\n",
        "  log_dir         /var/log/bh (server log /var/log/bh/bulkhead.log)\n",
        "  site ids        uid >= 1000, gid >= 1000\n",
        "  timeouts        request head 250ms, keep-alive 15s, shutdown 30s\n",
        "  limits          request head 32K, body 10M (default for sites)\n",
        "  unknown hosts   answered by site beta (TLS: refused with an alert, the site has no "
        "[site.tls])\n",
        "  proxy protocol  not accepted\n",
    };
    for (const char* line : expected) {
        EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
    }
}

TEST(DescribePlan, ListsEachSite) {
    std::string text = plan();
    const char* expected[] = {
        "\nsite alpha (line 10)\n",
        "  hosts           alpha.example, *.alpha.example\n",
        "  runs as         alpha (uid 40101), gid 40101\n",
        "  root            /srv/alpha/public\n",
        "  index           index.php\n",
        "  workers         0 to 8 (none until the first request), idle ones above 0 stop after "
        "1m\n",
        "  readable        (none)\n",
        "  writable        /srv/alpha/uploads\n",
        "  max body        10M\n",
        "  tls             cert /etc/bulkhead/alpha.crt (chain of 2, valid until 2030-01-01), "
        "key /etc/bulkhead/alpha.key\n",
        "  tls versions    1.2 and 1.3; ciphers default; suites default\n",
        "  ocsp stapling   none\n",
        "  https           http served too, no HSTS\n",
        "  cgi             .cgi, .pl, timeout 1m\n",
        "  fastcgi         .php: spawns /usr/bin/php-cgi -c /etc/php.ini (2 processes), "
        "timeout 1m\n",
        "  limits          memory 512M, pids 64, cpu weight 100, connections 1000\n",
        "  logs            /var/log/bh/alpha.access.log, /var/log/bh/alpha.error.log\n",
        "\nsite beta (line 30)\n",
        "  runs as         uid 40102, gid 40102\n",
        "  fastcgi         .php: connects to /run/php/beta.sock, timeout 1m\n",
        "  limits          memory unlimited, pids unlimited, cpu weight 100, connections 1000\n",
        "  logs            /var/log/bh/beta.access.log, /var/log/bh/beta.error.log\n",
    };
    for (const char* line : expected) {
        EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
    }
}

TEST(DescribePlan, TlsDetails) {
    auto config = parse_config(R"([server]
tls_listen = ["127.0.0.1:443"]
unknown_host = "alpha"
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
[site.tls]
cert = "/etc/bulkhead/alpha.crt"
key = "/etc/bulkhead/alpha.key"
min_version = "1.3"
ciphersuites = "TLS_AES_256_GCM_SHA384"
ocsp_response = "/etc/bulkhead/alpha.ocsp"
redirect_http = true
hsts = "365d"
hsts_include_subdomains = true
)",
                               "x.toml", testing::fake_environment());
    ASSERT_TRUE(config.has_value());
    std::string text = describe_plan(*config);
    const char* expected[] = {
        "  unknown hosts   answered by site alpha (TLS: with its certificate)\n",
        "  tls versions    1.3 only; ciphers default; suites TLS_AES_256_GCM_SHA384\n",
        "  ocsp stapling   /etc/bulkhead/alpha.ocsp\n",
        "  https           http redirected to https (308), HSTS max-age 365d with subdomains\n",
    };
    for (const char* line : expected) {
        EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
    }
}

TEST(DescribePlan, StatusPolicies) {
    Config config;
    config.path = "x.toml";
    config.server.unknown_host = UnknownHostPolicy{404, ""};
    EXPECT_NE(describe_plan(config).find("404 Not Found, answered by the dispatcher"),
              std::string::npos);
    config.server.unknown_host = UnknownHostPolicy{421, ""};
    EXPECT_NE(describe_plan(config).find("421 Misdirected Request"), std::string::npos);
    config.server.tls_listen.push_back(ListenAddress{});
    EXPECT_NE(describe_plan(config).find(
                  "421 Misdirected Request, answered by the dispatcher (TLS: refused with an "
                  "alert)"),
              std::string::npos);
}

}  // namespace
}  // namespace bulkhead::config
