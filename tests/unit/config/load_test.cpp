// parse_config: a full valid file read back field by field, defaults, and a table of bad files,
// one row per problem with the "LINE:COLUMN: message" it must produce.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "config/load.hpp"
#include "fake_environment.hpp"

namespace bulkhead::config {
namespace {

using testing::fake_environment;

constexpr const char* kFile = "test.toml";

std::vector<Problem> problems_of(const std::string& text) {
    auto result = parse_config(text, kFile, fake_environment());
    return result ? std::vector<Problem>{} : result.error();
}

std::string joined(const std::vector<Problem>& problems) {
    std::string out;
    for (const auto& problem : problems) {
        out += problem.to_string() + "\n";
    }
    return out.empty() ? "(no problems)\n" : out;
}

Config parse_ok(const std::string& text) {
    auto result = parse_config(text, kFile, fake_environment());
    EXPECT_TRUE(result.has_value()) << (result ? "" : joined(result.error()));
    return result ? *result : Config{};
}

// INTERFACE.md's example, with a second site that names its user by number.
const std::string kFullConfig = R"([server]
listen       = ["127.0.0.1:8080", "[::1]:8080"]
tls_listen   = ["127.0.0.1:8443"]
user         = "bulkhead"
group        = "bulkhead"
state_dir    = "/var/lib/bulkhead"
log_dir      = "/var/log/bulkhead"
min_site_uid = 1000
min_site_gid = 1000
unknown_host = "421"
header_timeout    = "10s"
keepalive_timeout = "15s"
max_header_bytes  = "16K"
max_body_bytes    = "10M"
shutdown_timeout  = "30s"
proxy_protocol_from = ["10.0.0.0/8", "2001:db8::1"]

[[site]]
name     = "alpha"
hosts    = ["Alpha.Example.", "*.alpha.example"]
user     = "alpha"
group    = "alpha"
root     = "/srv/alpha/public"
index    = ["index.html", "index.php"]
workers  = { min = 0, max = 4 }
readable = ["/usr/share/php"]
writable = ["/srv/alpha/uploads"]
max_body_bytes = "64M"

[site.tls]
cert = "/etc/bulkhead/alpha.crt"
key  = "/etc/bulkhead/alpha.key"

[site.cgi]
extensions = [".cgi"]
timeout    = "60s"

[site.fastcgi]
extensions = [".php"]
command    = ["/usr/bin/php-cgi", "-d", "display_errors=0"]
processes  = 3
timeout    = "2m"

[site.limits]
memory      = "512M"
pids        = 256
cpu_weight  = 200
connections = 500

[[site]]
name  = "beta"
hosts = ["beta.example"]
user  = 40102
root  = "/srv/beta/public"

[site.fastcgi]
extensions = [".php"]
socket     = "/run/php/beta.sock"
)";

TEST(ParseConfig, FullConfigRoundTrip) {
    Config config = parse_ok(kFullConfig);
    EXPECT_EQ(config.path, kFile);
    const ServerConfig& server = config.server;
    ASSERT_EQ(server.listen.size(), 2u);
    EXPECT_EQ(server.listen[0].family, AF_INET);
    EXPECT_EQ(server.listen[0].address, "127.0.0.1");
    EXPECT_EQ(server.listen[0].port, 8080);
    EXPECT_EQ(server.listen[1].family, AF_INET6);
    EXPECT_EQ(server.listen[1].address, "::1");
    ASSERT_EQ(server.tls_listen.size(), 1u);
    EXPECT_EQ(server.tls_listen[0].port, 8443);
    EXPECT_EQ(server.user, "bulkhead");
    EXPECT_EQ(server.uid, 40100u);
    EXPECT_EQ(server.gid, 40100u);
    EXPECT_EQ(server.state_dir, "/var/lib/bulkhead");
    EXPECT_EQ(server.log_dir, "/var/log/bulkhead");
    EXPECT_EQ(server.min_site_uid, 1000u);
    EXPECT_EQ(server.unknown_host.status, 421);
    EXPECT_EQ(server.unknown_host.site, "");
    EXPECT_EQ(server.header_timeout_ms, 10'000u);
    EXPECT_EQ(server.keepalive_timeout_ms, 15'000u);
    EXPECT_EQ(server.max_header_bytes, 16u * 1024);
    EXPECT_EQ(server.max_body_bytes, 10u << 20);
    EXPECT_EQ(server.shutdown_timeout_ms, 30'000u);
    EXPECT_EQ(server.proxy_protocol_from, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::1"}));

    ASSERT_EQ(config.sites.size(), 2u);
    const SiteConfig& alpha = config.sites[0];
    EXPECT_EQ(alpha.name, "alpha");
    EXPECT_EQ(alpha.hosts, (std::vector<std::string>{"alpha.example", "*.alpha.example"}));
    EXPECT_EQ(alpha.user, "alpha");
    EXPECT_EQ(alpha.uid, 40101u);
    EXPECT_EQ(alpha.gid, 40101u);
    EXPECT_EQ(alpha.root, "/srv/alpha/public");
    EXPECT_EQ(alpha.index, (std::vector<std::string>{"index.html", "index.php"}));
    EXPECT_EQ(alpha.workers.min, 0u);
    EXPECT_EQ(alpha.workers.max, 4u);
    EXPECT_EQ(alpha.readable, std::vector<std::string>{"/usr/share/php"});
    EXPECT_EQ(alpha.writable, std::vector<std::string>{"/srv/alpha/uploads"});
    EXPECT_EQ(alpha.max_body_bytes, 64u << 20);
    ASSERT_TRUE(alpha.tls);
    EXPECT_EQ(alpha.tls->cert, "/etc/bulkhead/alpha.crt");
    EXPECT_EQ(alpha.tls->key, "/etc/bulkhead/alpha.key");
    ASSERT_TRUE(alpha.cgi);
    EXPECT_EQ(alpha.cgi->extensions, std::vector<std::string>{".cgi"});
    EXPECT_EQ(alpha.cgi->timeout_ms, 60'000u);
    ASSERT_TRUE(alpha.fastcgi);
    EXPECT_EQ(alpha.fastcgi->command.size(), 3u);
    EXPECT_EQ(alpha.fastcgi->socket, "");
    EXPECT_EQ(alpha.fastcgi->processes, 3u);
    EXPECT_EQ(alpha.fastcgi->timeout_ms, 120'000u);
    EXPECT_EQ(alpha.limits.memory_bytes, std::optional<std::uint64_t>(512u << 20));
    EXPECT_EQ(alpha.limits.pids, std::optional<std::uint32_t>(256));
    EXPECT_EQ(alpha.limits.cpu_weight, 200u);
    EXPECT_EQ(alpha.limits.connections, 500u);
    EXPECT_EQ(alpha.position.line, 18u);
    EXPECT_EQ(alpha.position.column, 1u);

    const SiteConfig& beta = config.sites[1];
    EXPECT_EQ(beta.user, "40102");
    EXPECT_EQ(beta.uid, 40102u);
    EXPECT_EQ(beta.gid, 40102u);  // a numeric user's group defaults to the same number
    EXPECT_EQ(beta.max_body_bytes, 10u << 20);
    ASSERT_TRUE(beta.fastcgi);
    EXPECT_TRUE(beta.fastcgi->command.empty());
    EXPECT_EQ(beta.fastcgi->socket, "/run/php/beta.sock");
    EXPECT_FALSE(beta.tls);
    EXPECT_FALSE(beta.cgi);
    EXPECT_EQ(beta.position.line, 50u);

    EXPECT_EQ(config.find_site("beta"), &config.sites[1]);
    EXPECT_EQ(config.find_site("gamma"), nullptr);
}

TEST(ParseConfig, Defaults) {
    Config config = parse_ok(R"(
[server]
listen = ["127.0.0.1:0"]
unknown_host = "alpha"
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "loner"
root = "/srv/alpha/public"
)");
    EXPECT_EQ(config.server.user, "bulkhead");
    EXPECT_EQ(config.server.group, "bulkhead");
    EXPECT_EQ(config.server.uid, 40100u);
    EXPECT_EQ(config.server.gid, 40100u);
    EXPECT_EQ(config.server.unknown_host.status, 0);
    EXPECT_EQ(config.server.unknown_host.site, "alpha");
    EXPECT_EQ(config.server.header_timeout_ms, 10'000u);
    EXPECT_EQ(config.server.standby_workers, 2u);
    EXPECT_TRUE(config.server.tls_listen.empty());
    const SiteConfig& site = config.sites.at(0);
    EXPECT_EQ(site.uid, 40104u);
    EXPECT_EQ(site.gid, 40200u);  // the named user's primary group
    EXPECT_EQ(site.index, std::vector<std::string>{"index.html"});
    EXPECT_EQ(site.workers.min, 1u);
    EXPECT_EQ(site.workers.max, 4u);
    EXPECT_EQ(site.max_body_bytes, 10u << 20);
    EXPECT_FALSE(site.tls || site.cgi || site.fastcgi);
    EXPECT_FALSE(site.limits.memory_bytes);
    EXPECT_EQ(site.limits.cpu_weight, 100u);
}

TEST(ParseConfig, ServerUserWithoutGroupTakesPrimaryGroup) {
    Config config = parse_ok(R"([server]
listen = ["127.0.0.1:0"]
user = "www"
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
)");
    EXPECT_EQ(config.server.uid, 33u);
    EXPECT_EQ(config.server.gid, 33u);
}

TEST(ParseConfig, StandbyWorkersCanBeTurnedOff) {
    Config config = parse_ok(R"([server]
listen = ["127.0.0.1:0"]
standby_workers = 0
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
)");
    EXPECT_EQ(config.server.standby_workers, 0u);
}

TEST(ParseConfig, NetworkAndSelinux) {
    Config config = parse_ok(R"([server]
listen = ["127.0.0.1:0"]
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
selinux_context = "system_u:system_r:httpd_t:s0"
[site.network]
tcp_connect = [443, 3306]
)");
    ASSERT_TRUE(config.sites[0].network.tcp_connect);
    EXPECT_EQ(*config.sites[0].network.tcp_connect, (std::vector<std::uint16_t>{443, 3306}));
    EXPECT_EQ(config.sites[0].selinux_context, "system_u:system_r:httpd_t:s0");
}

TEST(ParseConfig, PortZeroListenersDoNotConflict) {
    Config config = parse_ok(R"([server]
listen = ["127.0.0.1:0", "127.0.0.1:0"]
tls_listen = ["127.0.0.1:0"]
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
)");
    EXPECT_EQ(config.server.listen.size(), 2u);
}

// Lines 1-3 and 4-8: a valid [server] with both kinds of listener, and a valid site.
const std::string kServer = R"([server]
listen = ["127.0.0.1:0"]
tls_listen = ["127.0.0.1:0"]
)";
const std::string kAlpha = R"([[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
)";
// Lines 4-8 after kServer, or 9-13 after kServer + kAlpha.
const std::string kBeta = R"([[site]]
name = "beta"
hosts = ["beta.example"]
user = "beta"
root = "/srv/beta/public"
)";

std::string alpha_with(const std::string& user_line, const std::string& extra = "") {
    return kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\n" + user_line +
           "\nroot = \"/srv/alpha/public\"\n" + extra;
}

struct BadCase {
    const char* name;
    std::string text;
    std::string expected;   // "LINE:COLUMN: message start", after "test.toml:"
    std::size_t count = 1;  // problems in all
};

const BadCase kBadCases[] = {
    // Unknown keys, at every level.
    {"unknown server key", "[server]\nlisten = [\"127.0.0.1:0\"]\nlistn = 1\n" + kAlpha,
     "3:9: server.listn: unknown key; did you mean \"listen\"? The keys of [server] are: listen, "
     "tls_listen, user"},
    {"unknown server key, near", kServer + "header_timout = \"5s\"\n" + kAlpha,
     "4:17: server.header_timout: unknown key; did you mean \"header_timeout\"?"},
    {"unknown site key", kServer + kAlpha + "rot = \"/x\"\n",
     "9:7: site.rot: unknown key; did you mean \"root\"? The keys of [[site]] are: name, hosts"},
    {"unknown tls key",
     kServer + kAlpha + "[site.tls]\ncert = \"/c\"\nkey = \"/k\"\nchain = \"/x\"\n",
     "12:9: site.tls.chain: unknown key; the keys of [site.tls] are: cert, key"},
    {"unknown workers key", kServer + kAlpha + "workers = { min = 1, maximum = 2 }\n",
     "9:32: site.workers.maximum: unknown key; the keys of [site.workers] are: min, max"},
    {"unknown limits key", kServer + kAlpha + "[site.limits]\nmemroy = \"1G\"\n",
     "10:10: site.limits.memroy: unknown key; did you mean \"memory\"?"},
    {"unknown top-level table", kServer + kAlpha + "[logging]\nlevel = 1\n",
     "9:1: logging: unknown key; the keys of the top level are: server, site"},
    {"unknown top-level key", "verbose = true\n" + kServer + kAlpha, "1:11: verbose: unknown key"},

    // Sites that collide.
    {"duplicate site name",
     kServer + kAlpha +
         "[[site]]\nname = \"alpha\"\nhosts = [\"beta.example\"]\nuser = \"beta\"\n"
         "root = \"/srv/beta/public\"\n",
     "10:8: site.name: \"alpha\" is already the name of site \"alpha\" (line 5); give each site "
     "a unique name"},
    {"duplicate host across sites",
     kServer + kAlpha +
         "[[site]]\nname = \"beta\"\nhosts = [\"beta.example\", \"Alpha.Example.\"]\n"
         "user = \"beta\"\nroot = \"/srv/beta/public\"\n",
     "11:26: site.hosts: \"alpha.example\" already belongs to site \"alpha\" (line 6); a name "
     "can belong to one site only"},
    {"duplicate host within a site",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"a.example\", \"A.example\"]\n"
               "user = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "6:23: site.hosts: \"A.example\" is listed twice"},
    {"shared uid",
     kServer + kAlpha +
         "[[site]]\nname = \"beta\"\nhosts = [\"beta.example\"]\nuser = 40101\n"
         "root = \"/srv/beta/public\"\n",
     "12:8: site.user: uid 40101 is already the user of site \"alpha\" (line 7); each site runs "
     "as its own user"},

    // Identities.
    {"uid 0", alpha_with("user = 0"),
     "7:8: site.user: 0 is root; a site needs its own unprivileged user (uid >= "
     "server.min_site_uid = 1000)"},
    {"user root by name", alpha_with("user = \"root\""),
     "7:8: site.user: \"root\" (uid 0) is root; a site needs its own unprivileged user"},
    {"uid below min", alpha_with("user = 500"),
     "7:8: site.user: 500 is below server.min_site_uid = 1000; give the site its own user with "
     "a uid of 1000 or more"},
    {"uid below raised min",
     "[server]\nlisten = [\"127.0.0.1:0\"]\nmin_site_uid = 50000\n" + kAlpha,
     "7:8: site.user: \"alpha\" (uid 40101) is below server.min_site_uid = 50000"},
    {"uid is the dispatcher's", alpha_with("user = \"bulkhead\""),
     "7:8: site.user: \"bulkhead\" (uid 40100) is server.user, the dispatcher's user, which "
     "owns no site"},
    {"unknown user", alpha_with("user = \"nobody-here\""),
     "7:8: site.user: no user named \"nobody-here\" on this system; create it (useradd --system "
     "nobody-here) or write an existing user's name or number"},
    {"quoted uid", alpha_with("user = \"40101\""),
     "7:8: site.user: no user named \"40101\" on this system; write 40101 without quotes"},
    {"user of the wrong type", alpha_with("user = true"),
     "7:8: site.user: expected a user name like \"alpha\" or a uid like 40101, found true"},
    {"negative uid", alpha_with("user = -5"),
     "7:8: site.user: -5 is out of range; write a whole number from 0 to 4294967294"},
    {"gid 0", alpha_with("user = \"alpha\"\ngroup = 0"),
     "8:9: site.group: 0 is root's group; a site needs its own unprivileged group (gid >= "
     "server.min_site_gid = 1000)"},
    {"gid below min", alpha_with("user = \"alpha\"\ngroup = \"daemon\""),
     "8:9: site.group: \"daemon\" (gid 1) is below server.min_site_gid = 1000"},
    {"gid is the dispatcher's", alpha_with("user = \"alpha\"\ngroup = \"bulkhead\""),
     "8:9: site.group: \"bulkhead\" (gid 40100) is server.group, the dispatcher's group"},
    {"unknown group", alpha_with("user = \"alpha\"\ngroup = \"nogroup\""),
     "8:9: site.group: no group named \"nogroup\" on this system; create it (groupadd --system "
     "nogroup)"},
    {"server user root", "[server]\nlisten = [\"127.0.0.1:0\"]\nuser = \"root\"\n" + kAlpha,
     "3:8: server.user: \"root\" (uid 0) is root; the dispatcher needs an unprivileged user that "
     "owns no site"},
    {"server user in root's group",
     "[server]\nlisten = [\"127.0.0.1:0\"]\nuser = \"toor\"\n" + kAlpha,
     "3:8: server.group: gid 0, the primary group of server.user, is root's group; set "
     "server.group to an unprivileged group"},
    {"site user in the dispatcher's group", alpha_with("user = \"mallory\""),
     "7:8: site.group: gid 40100, the primary group of user \"mallory\", is server.group, the "
     "dispatcher's group; give the site its own group"},
    {"site user in root's group", alpha_with("user = \"toor\""),
     "7:8: site.group: gid 0, the primary group of user \"toor\", is root's group"},
    {"site user without a primary group", alpha_with("user = \"ghost\""),
     "7:8: site.user: user \"ghost\" has no primary group; set site.group as well"},
    {"numeric user's group below min", alpha_with("user = 40101\ngroup = 999"),
     "8:9: site.group: 999 is below server.min_site_gid = 1000"},
    {"server group root", "[server]\nlisten = [\"127.0.0.1:0\"]\ngroup = 0\n" + kAlpha,
     "3:9: server.group: 0 is root's group; the dispatcher needs an unprivileged group"},
    {"min_site_uid 0", "[server]\nlisten = [\"127.0.0.1:0\"]\nmin_site_uid = 0\n" + kAlpha,
     "3:16: server.min_site_uid: 0 would admit root as a site; write 1 or more, usually 1000"},
    {"min_site_gid not a number",
     "[server]\nlisten = [\"127.0.0.1:0\"]\nmin_site_gid = \"1000\"\n" + kAlpha,
     "3:16: server.min_site_gid: expected a whole number from 1 to 4294967294, found \"1000\""},

    // Paths.
    {"missing root",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\nuser = \"alpha\"\n",
     "4:1: site: missing key \"root\"; add e.g. root = \"/srv/alpha/public\""},
    {"root not a directory",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\n"
               "user = \"alpha\"\nroot = \"/srv/missing\"\n",
     "8:8: site.root: \"/srv/missing\" is not an existing directory; create it or correct the "
     "path"},
    {"relative root",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\n"
               "user = \"alpha\"\nroot = \"srv/alpha\"\n",
     "8:8: site.root: \"srv/alpha\" is not an absolute path; write the full path, e.g. "
     "\"/srv/alpha/public\""},
    {"root under /tmp",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\n"
               "user = \"alpha\"\nroot = \"/tmp/alpha\"\n",
     "8:8: site.root: \"/tmp/alpha\" is under /tmp, which every site sees as its own private "
     "directory; put it elsewhere"},
    {"network port zero", kServer + kAlpha + "[site.network]\ntcp_connect = [443, 0]\n",
     "10:21: site.network.tcp_connect: expected an array of whole numbers from 1 to 65535, found "
     "0"},
    {"network unknown key", kServer + kAlpha + "[site.network]\nudp = [53]\n",
     "10:7: site.network.udp: unknown key; the keys of [site.network] are: tcp_connect"},
    {"selinux context with a space", kServer + kAlpha + "selinux_context = \"a b\"\n",
     "9:19: site.selinux_context: \"a b\" is not an SELinux context"},
    {"writable under /tmp", kServer + kAlpha + "writable = [\"/tmp/uploads\"]\n",
     "9:13: site.writable: \"/tmp/uploads\" is under /tmp"},
    {"relative readable", kServer + kAlpha + "readable = [\"/usr/share\", \"lib\"]\n",
     "9:27: site.readable: \"lib\" is not an absolute path"},
    {"relative writable", kServer + kAlpha + "writable = [\"uploads\"]\n",
     "9:13: site.writable: \"uploads\" is not an absolute path"},
    {"index with a slash", kServer + kAlpha + "index = [\"a/index.html\"]\n",
     "9:10: site.index: \"a/index.html\" is not a plain file name; write a name without \"/\", "
     "e.g. \"index.html\""},
    {"index dot-dot", kServer + kAlpha + "index = [\"..\"]\n",
     "9:10: site.index: \"..\" is not a plain file name"},
    {"relative state_dir", "[server]\nlisten = [\"127.0.0.1:0\"]\nstate_dir = \"state\"\n" + kAlpha,
     "3:13: server.state_dir: \"state\" is not an absolute path; write the full path, e.g. "
     "\"/var/lib/bulkhead\""},
    {"relative log_dir", "[server]\nlisten = [\"127.0.0.1:0\"]\nlog_dir = \"\"\n" + kAlpha,
     "3:11: server.log_dir: \"\" is not an absolute path"},

    // Names and hosts.
    {"bad site name",
     kServer + "[[site]]\nname = \"Alpha\"\nhosts = [\"alpha.example\"]\n"
               "user = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "5:8: site.name: \"Alpha\" is not a valid site name; use 1 to 64 characters from a-z, 0-9 "
     "and \"-\", e.g. \"alpha\""},
    {"site name too long",
     kServer + "[[site]]\nname = \"" + std::string(65, 'a') +
         "\"\nhosts = [\"alpha.example\"]\nuser = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "5:8: site.name: \"aaaa"},
    {"missing name",
     kServer +
         "[[site]]\nhosts = [\"alpha.example\"]\nuser = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "4:1: site: missing key \"name\"; add e.g. name = \"alpha\""},
    {"empty hosts",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = []\nuser = \"alpha\"\n"
               "root = \"/srv/alpha/public\"\n",
     "6:9: site.hosts: [] is empty; list at least one name, e.g. [\"alpha.example\"]"},
    {"hosts not an array",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = \"alpha.example\"\n"
               "user = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "6:9: site.hosts: expected an array of strings like [\"alpha.example\", "
     "\"*.alpha.example\"], found \"alpha.example\""},
    {"host with a port",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example:80\"]\n"
               "user = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "6:10: site.hosts: \"alpha.example:80\" is not a host name; write a name like "
     "\"alpha.example\" or \"*.alpha.example\" (no scheme, port or path)"},
    {"host with a scheme",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"http://a.example\"]\n"
               "user = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "6:10: site.hosts: \"http://a.example\" is not a host name"},
    {"host not a string",
     kServer + "[[site]]\nname = \"alpha\"\nhosts = [\"a.example\", 7]\n"
               "user = \"alpha\"\nroot = \"/srv/alpha/public\"\n",
     "6:23: site.hosts: expected an array of strings like [\"alpha.example\", "
     "\"*.alpha.example\"], found 7 in the array"},

    // Sizes and durations.
    {"bad size", kServer + kAlpha + "max_body_bytes = \"10 MB\"\n",
     "9:18: site.max_body_bytes: \"10 MB\" is not a size; write e.g. \"512K\", \"64M\", \"1G\" or "
     "a number of bytes"},
    {"negative size", kServer + kAlpha + "max_body_bytes = -1\n",
     "9:18: site.max_body_bytes: -1 is not a size"},
    {"header size too large", kServer + "max_header_bytes = \"2M\"\n" + kAlpha,
     "4:20: server.max_header_bytes: \"2M\" is out of range; write a size from \"1K\" to \"1M\""},
    {"header size too small", kServer + "max_header_bytes = 512\n" + kAlpha,
     "4:20: server.max_header_bytes: 512 is out of range"},
    {"body size too large", kServer + "max_body_bytes = \"2000G\"\n" + kAlpha,
     "4:18: server.max_body_bytes: \"2000G\" is out of range; write a size from \"0\" to "
     "\"1024G\""},
    {"too many standby workers", kServer + "standby_workers = 9\n" + kAlpha,
     "4:19: server.standby_workers: 9 is out of range; write a whole number from 0 to 8"},
    {"negative standby workers", kServer + "standby_workers = -1\n" + kAlpha,
     "4:19: server.standby_workers: -1 is out of range"},
    {"bad duration", kServer + "header_timeout = \"10 seconds\"\n" + kAlpha,
     "4:18: server.header_timeout: \"10 seconds\" is not a duration; write e.g. \"10s\", "
     "\"250ms\" or \"5m\""},
    {"integer duration", kServer + "header_timeout = 10\n" + kAlpha,
     "4:18: server.header_timeout: 10 has no unit; write a string with one, e.g. \"10s\", "
     "\"10ms\" or \"10m\""},
    {"zero keep-alive", kServer + "keepalive_timeout = \"0s\"\n" + kAlpha,
     "4:21: server.keepalive_timeout: \"0s\" is out of range; write a duration from \"1ms\" to "
     "\"1d\""},
    {"cgi timeout without unit",
     kServer + kAlpha + "[site.cgi]\nextensions = [\".cgi\"]\ntimeout = 60\n",
     "11:11: site.cgi.timeout: 60 has no unit"},

    // Listeners.
    {"listen without port", "[server]\nlisten = [\"127.0.0.1\"]\n" + kAlpha,
     "2:11: server.listen: \"127.0.0.1\" is not a listen address; write ADDRESS:PORT, e.g. "
     "\"127.0.0.1:8080\", \"[::1]:8080\" or \"*:8080\""},
    {"listen by host name", "[server]\nlisten = [\"localhost:8080\"]\n" + kAlpha,
     "2:11: server.listen: \"localhost:8080\" is not a listen address"},
    {"listen not an array", "[server]\nlisten = \"*:80\"\n" + kAlpha,
     "2:10: server.listen: expected an array of strings like [\"127.0.0.1:8080\", "
     "\"[::1]:8080\"], found \"*:80\""},
    {"duplicate listen", "[server]\nlisten = [\"127.0.0.1:8080\", \"*:8080\"]\n" + kAlpha,
     "2:29: server.listen: \"*:8080\" overlaps \"127.0.0.1:8080\" (server.listen, line 2); each "
     "address and port can be listened on once"},
    {"tls_listen repeats listen",
     "[server]\nlisten = [\"[::1]:8080\"]\ntls_listen = [\"[0::1]:8080\"]\n" + kAlpha,
     "3:15: server.tls_listen: \"[0::1]:8080\" overlaps \"[::1]:8080\" (server.listen, line 2)"},
    {"no listener", "[server]\nuser = \"bulkhead\"\n" + kAlpha,
     "1:1: server: no address to listen on; add e.g. listen = [\"*:80\"] or tls_listen = "
     "[\"*:443\"]"},
    {"empty listeners", "[server]\nlisten = []\ntls_listen = []\n" + kAlpha,
     "1:1: server: no address to listen on"},
    {"no server table", kAlpha, "1:1: server: no address to listen on"},
    {"tls without tls_listen",
     "[server]\nlisten = [\"127.0.0.1:0\"]\n" + kAlpha +
         "[site.tls]\ncert = \"/c\"\nkey = \"/k\"\n",
     "8:1: site.tls: the site has TLS but server.tls_listen is empty; add e.g. tls_listen = "
     "[\"*:443\"] to [server], or remove [site.tls]"},
    {"tls missing key", kServer + kAlpha + "[site.tls]\ncert = \"/c\"\n",
     "9:1: site.tls: missing key \"key\"; add e.g. key = \"/etc/bulkhead/alpha.key\""},
    {"tls relative cert", kServer + kAlpha + "[site.tls]\ncert = \"alpha.crt\"\nkey = \"/k\"\n",
     "10:8: site.tls.cert: \"alpha.crt\" is not an absolute path; write the full path of the "
     "certificate chain (PEM), e.g. \"/etc/bulkhead/alpha.crt\""},

    // Handlers.
    {"fastcgi with command and socket",
     kServer + kAlpha +
         "[site.fastcgi]\nextensions = [\".php\"]\ncommand = [\"/usr/bin/php-cgi\"]\n"
         "socket = \"/run/php.sock\"\n",
     "12:10: site.fastcgi.socket: cannot be set together with command; keep one: command to spawn "
     "the "
     "application as the site, or socket to use a FastCGI server that already runs"},
    {"fastcgi with neither", kServer + kAlpha + "[site.fastcgi]\nextensions = [\".php\"]\n",
     "9:1: site.fastcgi: needs command or socket; add e.g. command = [\"/usr/bin/php-cgi\"]"},
    {"fastcgi relative command",
     kServer + kAlpha + "[site.fastcgi]\nextensions = [\".php\"]\ncommand = [\"php-cgi\"]\n",
     "11:12: site.fastcgi.command: \"php-cgi\" is not an absolute path; write the program's full "
     "path, e.g. \"/usr/bin/php-cgi\""},
    {"fastcgi empty command",
     kServer + kAlpha + "[site.fastcgi]\nextensions = [\".php\"]\ncommand = []\n",
     "11:11: site.fastcgi.command: [] is empty"},
    {"fastcgi relative socket",
     kServer + kAlpha + "[site.fastcgi]\nextensions = [\".php\"]\nsocket = \"php.sock\"\n",
     "11:10: site.fastcgi.socket: \"php.sock\" is not an absolute path"},
    {"fastcgi processes 0",
     kServer + kAlpha +
         "[site.fastcgi]\nextensions = [\".php\"]\nsocket = \"/run/p.sock\"\nprocesses = 0\n",
     "12:13: site.fastcgi.processes: 0 is out of range; write a whole number from 1 to 256"},
    {"fastcgi processes 257",
     kServer + kAlpha +
         "[site.fastcgi]\nextensions = [\".php\"]\nsocket = \"/run/p.sock\"\nprocesses = 257\n",
     "12:13: site.fastcgi.processes: 257 is out of range"},
    {"fastcgi without extensions", kServer + kAlpha + "[site.fastcgi]\nsocket = \"/run/p.sock\"\n",
     "9:1: site.fastcgi: missing key \"extensions\"; add e.g. extensions = [\".php\"]"},
    {"cgi extension without dot", kServer + kAlpha + "[site.cgi]\nextensions = [\"cgi\"]\n",
     "10:15: site.cgi.extensions: \"cgi\" is not a file extension; write it with its dot, e.g. "
     "\".cgi\""},
    {"cgi and fastcgi share an extension",
     kServer + kAlpha +
         "[site.cgi]\nextensions = [\".php\"]\n[site.fastcgi]\nextensions = [\".php\"]\n"
         "socket = \"/run/p.sock\"\n",
     "12:15: site.fastcgi.extensions: \".php\" is also in site.cgi.extensions (line 10); give "
     "each extension to one handler"},
    {"cgi not a table", kServer + kAlpha + "cgi = true\n",
     "9:7: site.cgi: expected a table like [site.cgi] with extensions and timeout, found true"},

    // Workers and limits.
    {"workers min above max", kServer + kAlpha + "workers = { min = 5, max = 2 }\n",
     "9:19: site.workers.min: 5 is more than workers.max = 2; make min at most max"},
    {"workers min above default max", kServer + kAlpha + "workers = { min = 5 }\n",
     "9:19: site.workers.min: 5 is more than workers.max = 4"},
    {"workers max 0", kServer + kAlpha + "workers = { max = 0 }\n",
     "9:19: site.workers.max: 0 is out of range; write a whole number from 1 to 1024"},
    {"workers max too large", kServer + kAlpha + "workers = { min = 1, max = 2000 }\n",
     "9:28: site.workers.max: 2000 is out of range; write a whole number from 1 to 1024"},
    {"cpu_weight 0", kServer + kAlpha + "[site.limits]\ncpu_weight = 0\n",
     "10:14: site.limits.cpu_weight: 0 is out of range; write a whole number from 1 to 10000"},
    {"cpu_weight too large", kServer + kAlpha + "[site.limits]\ncpu_weight = 10001\n",
     "10:14: site.limits.cpu_weight: 10001 is out of range"},
    {"pids 0", kServer + kAlpha + "[site.limits]\npids = 0\n",
     "10:8: site.limits.pids: 0 is out of range; write a whole number from 1 to"},
    {"connections 0", kServer + kAlpha + "[site.limits]\nconnections = 0\n",
     "10:15: site.limits.connections: 0 is out of range"},
    {"memory too small", kServer + kAlpha + "[site.limits]\nmemory = \"512K\"\n",
     "10:10: site.limits.memory: \"512K\" is out of range; write a size of at least \"1M\""},

    // unknown_host and proxy_protocol_from.
    {"unknown_host names a missing site", kServer + "unknown_host = \"gamma\"\n" + kAlpha,
     "4:16: server.unknown_host: \"gamma\" is not a configured site; write \"421\", \"404\", "
     "\"400\" or the name of a site (\"alpha\")"},
    {"unknown_host bad status", kServer + "unknown_host = 500\n" + kAlpha,
     "4:16: server.unknown_host: 500 is not a policy; write \"421\", \"404\", \"400\" or the "
     "name of the site that answers unknown names"},
    {"proxy_protocol_from bad prefix",
     kServer + "proxy_protocol_from = [\"10.0.0.0/33\"]\n" + kAlpha,
     "4:24: server.proxy_protocol_from: \"10.0.0.0/33\" is not an IP address or CIDR; write e.g. "
     "\"10.0.0.1\", \"10.0.0.0/8\" or \"2001:db8::/32\""},
    {"proxy_protocol_from host name", kServer + "proxy_protocol_from = [\"lb.example\"]\n" + kAlpha,
     "4:24: server.proxy_protocol_from: \"lb.example\" is not an IP address or CIDR"},

    // The file's shape.
    {"no sites", kServer,
     "1:1: configuration: no [[site]]; add one with at least name, hosts, "
     "user and root"},
    {"site written as a table", kServer + "[site]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\n",
     "4:1: site: expected [[site]] tables (write [[site]], with two brackets), found a table"},
    {"server not a table", "server = 1\n" + kAlpha, "1:10: server: expected a table like [server]",
     2},  // and no listener
    {"TOML syntax error", kServer + kAlpha + "index = [\"index.html\"\n",
     "9:23: TOML syntax error: Error while parsing array: encountered end-of-file; close the "
     "open bracket, brace or quote"},
    {"TOML duplicate key", kServer + kAlpha + "name = \"again\"\n",
     "9:8: TOML syntax error: Error while parsing key-value pair: cannot redefine existing "
     "string 'name'; set each key once per table (start another site with [[site]])"},
};

void PrintTo(const BadCase& c, std::ostream* out) {
    *out << c.name;
}

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, ReportsPreciseProblem) {
    const BadCase& c = GetParam();
    std::vector<Problem> problems = problems_of(c.text);
    std::string all = joined(problems);
    bool found = false;
    for (const auto& problem : problems) {
        found = found || problem.to_string().starts_with(std::string(kFile) + ":" + c.expected);
    }
    EXPECT_TRUE(found) << "expected: " << kFile << ":" << c.expected << "\ngot:\n" << all;
    EXPECT_EQ(problems.size(), c.count) << all;
}

std::string case_name(const ::testing::TestParamInfo<BadCase>& info) {
    std::string name;
    for (char c : std::string(info.param.name)) {
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BadConfig, ::testing::ValuesIn(kBadCases), case_name);

TEST(ParseConfig, ReportsAllProblemsSortedByLine) {
    // Found in the order: server (lines 2, 3), site (lines 10, 8), unknown_host (line 4).
    std::string text =
        "[server]\nlisten = [\"nowhere\"]\nheader_timeout = 5\n"
        "unknown_host = \"gamma\"\n" +
        std::string(
            "[[site]]\nname = \"alpha\"\nhosts = [\"alpha.example\"]\n"
            "user = 0\nroot = \"/srv/alpha/public\"\nrot = 1\n");
    std::vector<Problem> problems = problems_of(text);
    ASSERT_EQ(problems.size(), 5u) << joined(problems);
    const char* expected[] = {
        "test.toml:2:11: server.listen: \"nowhere\" is not a listen address",
        "test.toml:3:18: server.header_timeout: 5 has no unit",
        "test.toml:4:16: server.unknown_host: \"gamma\" is not a configured site",
        "test.toml:8:8: site.user: 0 is root",
        "test.toml:10:7: site.rot: unknown key",
    };
    for (std::size_t i = 0; i < problems.size(); ++i) {
        EXPECT_TRUE(problems[i].to_string().starts_with(expected[i]))
            << "problem " << i << ": " << problems[i].to_string();
    }
}

TEST(ParseConfig, SyntaxErrorHasItsPosition) {
    std::vector<Problem> problems = problems_of("[server]\nlisten = = 1\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].file, kFile);
    EXPECT_EQ(problems[0].line, 2u);
    EXPECT_EQ(problems[0].column, 10u);
    EXPECT_NE(problems[0].message.find("TOML syntax error"), std::string::npos);
}

TEST(ParseConfig, NeverThrowsOnGarbage) {
    const std::string inputs[] = {std::string("\0\xff\xfe[[", 5),
                                  "[[site]]\n[[site]]\n[site.x.y.z]\n",
                                  "site = []\n",
                                  "site = [1, 2]\n",
                                  "[server]\nlisten = [[1], {a = 1}]\n",
                                  "a.b.c = 1\n",
                                  "[site]\n[[site.tls]]\n"};
    for (const auto& input : inputs) {
        auto result = parse_config(input, kFile, fake_environment());
        EXPECT_FALSE(result.has_value());
        EXPECT_FALSE(result.error().empty());
    }
}

TEST(LoadConfigFile, ReadsTheFile) {
    char path[] = "/tmp/bulkhead-config-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << kServer << kAlpha;
    auto result = load_config_file(path, fake_environment());
    unlink(path);
    ASSERT_TRUE(result.has_value()) << joined(result ? std::vector<Problem>{} : result.error());
    EXPECT_EQ(result->path, path);
    EXPECT_EQ(result->sites.at(0).name, "alpha");
}

TEST(LoadConfigFile, MissingFileIsOneProblemWithoutPosition) {
    auto result = load_config_file("/nonexistent/bulkhead.toml", fake_environment());
    ASSERT_FALSE(result.has_value());
    ASSERT_EQ(result.error().size(), 1u);
    EXPECT_EQ(result.error()[0].line, 0u);
    EXPECT_EQ(result.error()[0].to_string(),
              "/nonexistent/bulkhead.toml: cannot read the configuration file: No such file or "
              "directory; give the path of a readable TOML file with -c");
}

TEST(LoadConfigFile, DirectoryIsAProblem) {
    auto result = load_config_file("/tmp", fake_environment());
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().at(0).message.find("cannot read"), std::string::npos);
}

// The defaults consult the system: root is uid 0 everywhere, and "/" is a directory.
TEST(ParseConfig, SystemEnvironment) {
    auto result = parse_config(R"([server]
listen = ["127.0.0.1:0"]
user = 65534
group = 65534
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "root"
root = "/"
[[site]]
name = "beta"
hosts = ["beta.example"]
user = 40102
root = "/nonexistent-bulkhead-root"
)",
                               kFile);
    ASSERT_FALSE(result.has_value());
    std::string all = joined(result.error());
    EXPECT_EQ(result.error().size(), 2u) << all;
    EXPECT_NE(all.find("test.toml:8:8: site.user: \"root\" (uid 0) is root"), std::string::npos)
        << all;
    EXPECT_NE(all.find("test.toml:14:8: site.root: \"/nonexistent-bulkhead-root\" is not an "
                       "existing directory"),
              std::string::npos)
        << all;
}

}  // namespace
}  // namespace bulkhead::config
