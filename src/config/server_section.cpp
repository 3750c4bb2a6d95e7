// [server]: listeners, the dispatcher's identity, directories, timeouts and limits.

#include <algorithm>

#include "config/sections.hpp"

namespace bulkhead::config::detail {

namespace {

constexpr std::uint64_t kHour = 3'600'000;
// More would hold root processes for nothing: a cold start takes one, and it is replaced at once.
constexpr std::int64_t kMaxStandbyWorkers = 8;

struct Listener {
    ListenAddress address;
    SourcePosition position;
    std::string_view key;
};

std::vector<Listener> read_listeners(const TableReader& server, std::string_view key) {
    std::vector<Listener> out;
    auto items = server.strings(key, "[\"127.0.0.1:8080\", \"[::1]:8080\"]");
    for (const auto& item : items.value_or(std::vector<Located<std::string>>{})) {
        auto address = parse_listen_address(item.value);
        if (!address) {
            server.problem_at(item.position, key,
                              quote(item.value) +
                                  " is not a listen address; write ADDRESS:PORT, e.g. "
                                  "\"127.0.0.1:8080\", \"[::1]:8080\" or \"*:8080\"");
            continue;
        }
        out.push_back({std::move(*address), item.position, key});
    }
    return out;
}

bool is_any_address(const ListenAddress& address) {
    return address.address == "0.0.0.0" || address.address == "::";
}

// Two listeners that cannot both bind. Port 0 asks for any free port: never a conflict.
bool conflict(const ListenAddress& a, const ListenAddress& b) {
    return a.port != 0 && a.port == b.port && a.family == b.family &&
           (a.address == b.address || is_any_address(a) || is_any_address(b));
}

// How many entries an array key holds; a value of another type counts as one (it is reported).
std::size_t written_entries(const TableReader& server, std::string_view key) {
    const toml::node* node = server.find(key);
    if (!node) {
        return 0;
    }
    return node->is_array() ? node->as_array()->size() : 1;
}

void read_all_listeners(const TableReader& server, ServerConfig& config) {
    std::vector<Listener> all = read_listeners(server, "listen");
    std::vector<Listener> tls = read_listeners(server, "tls_listen");
    all.insert(all.end(), tls.begin(), tls.end());
    for (std::size_t i = 0; i < all.size(); ++i) {
        auto earlier = std::find_if(
            all.begin(), all.begin() + static_cast<std::ptrdiff_t>(i),
            [&](const Listener& other) { return conflict(all[i].address, other.address); });
        if (earlier != all.begin() + static_cast<std::ptrdiff_t>(i)) {
            server.problem_at(all[i].position, all[i].key,
                              quote(all[i].address.text) + " overlaps " +
                                  quote(earlier->address.text) + " (server." +
                                  std::string(earlier->key) + ", line " +
                                  std::to_string(earlier->position.line) +
                                  "); each address and port can be listened on once");
            continue;
        }
        (all[i].key == "listen" ? config.listen : config.tls_listen).push_back(all[i].address);
    }
    if (written_entries(server, "listen") + written_entries(server, "tls_listen") == 0) {
        server.table_problem(
            "no address to listen on; add e.g. listen = [\"*:80\"] or tls_listen = [\"*:443\"]");
    }
}

// A written identity, or the default name "bulkhead" when the key is absent.
std::optional<Identity> identity_or_default(const TableReader& server, std::string_view key,
                                            bool is_user, const Lookups& lookups) {
    if (server.has(key)) {
        return read_identity(server, key, is_user, lookups);
    }
    auto id = is_user ? lookups.user("bulkhead") : lookups.group("bulkhead");
    if (!id) {
        server.table_problem(std::string("the default dispatcher ") + (is_user ? "user" : "group") +
                             " \"bulkhead\" does not exist; create it (" +
                             (is_user ? "useradd --system --no-create-home bulkhead"
                                      : "groupadd --system bulkhead") +
                             ") or set server." + std::string(key));
        return std::nullopt;
    }
    return Identity{"bulkhead", static_cast<std::uint32_t>(*id), false};
}

std::optional<Identity> server_group(const TableReader& server, const std::optional<Identity>& user,
                                     const Lookups& lookups) {
    if (server.has("group") || !server.has("user")) {
        return identity_or_default(server, "group", false, lookups);
    }
    if (!user) {
        return std::nullopt;
    }
    auto group = default_group(*user, lookups);
    if (!group) {
        server.problem("user", "user " + quote(user->text) +
                                   " has no primary group; set server.group as well");
    }
    return group;
}

bool check_user_not_root(const TableReader& server, const Identity& user) {
    if (user.id != 0) {
        return true;
    }
    server.problem("user", describe_identity(user, "uid") +
                               " is root; the dispatcher needs an unprivileged user that owns no "
                               "site, e.g. \"bulkhead\"");
    return false;
}

// A group taken from server.user is reported there, and only when the user itself is fine.
bool check_group_not_root(const TableReader& server, const Identity& group, bool user_ok) {
    if (group.id != 0) {
        return true;
    }
    if (server.has("group")) {
        server.problem("group", describe_identity(group, "gid") +
                                    " is root's group; the dispatcher needs an unprivileged group "
                                    "that owns no site, e.g. \"bulkhead\"");
    } else if (user_ok) {
        server.problem_at(server.position_of("user"), "group",
                          "gid 0, the primary group of server.user, is root's group; set "
                          "server.group to an unprivileged group, e.g. \"bulkhead\"");
    }
    return false;
}

void read_dispatcher_identity(const TableReader& server, const Lookups& lookups, ServerRead& read) {
    auto user = identity_or_default(server, "user", true, lookups);
    auto group = server_group(server, user, lookups);
    bool user_ok = user && check_user_not_root(server, *user);
    bool group_ok = group && check_group_not_root(server, *group, user_ok);
    if (user) {
        read.config.user = user->text;
        read.config.uid = user->id;
    }
    if (group) {
        read.config.group = group->text;
        read.config.gid = group->id;
    }
    read.ids_resolved = user_ok && group_ok;
}

void read_directory(const TableReader& server, std::string_view key, std::string& out) {
    auto path = server.string(key, "\"/var/lib/bulkhead\"");
    if (!path) {
        return;
    }
    if (!is_absolute_path(*path)) {
        server.problem(key, quote(*path) + " is not an absolute path; write the full path, e.g. " +
                                quote(out));
        return;
    }
    out = *path;
}

void read_min_id(const TableReader& server, std::string_view key, std::uint32_t& out) {
    const toml::node* node = server.find(key);
    if (node && node->is_integer() && node->as_integer()->get() == 0) {
        server.problem(key, "0 would admit root as a site; write 1 or more, usually 1000");
        return;
    }
    if (auto value = server.integer(key, 1, kMaxId)) {
        out = static_cast<std::uint32_t>(*value);
    }
}

std::optional<int> status_policy(const toml::node& node) {
    for (int status : {421, 404, 400}) {
        if ((node.is_integer() && node.as_integer()->get() == status) ||
            (node.is_string() && node.as_string()->get() == std::to_string(status))) {
            return status;
        }
    }
    return std::nullopt;
}

void read_unknown_host(const TableReader& server, ServerRead& read) {
    const toml::node* node = server.find("unknown_host");
    if (!node) {
        return;
    }
    if (auto status = status_policy(*node)) {
        read.config.unknown_host = UnknownHostPolicy{*status, ""};
        return;
    }
    if (!node->is_string() || node->as_string()->get().empty()) {
        server.problem("unknown_host", describe_value(*node) +
                                           " is not a policy; write \"421\", \"404\", \"400\" "
                                           "or the name of the site that answers unknown names");
        return;
    }
    std::string site = node->as_string()->get();
    read.config.unknown_host = UnknownHostPolicy{0, site};
    read.unknown_host_site = Located<std::string>{site, server.position_of("unknown_host")};
}

void read_limits(const TableReader& server, ServerConfig& config) {
    auto set = [](auto& out, auto value) {
        if (value) {
            out = *value;
        }
    };
    set(config.header_timeout_ms, server.duration("header_timeout", 1, kHour));
    set(config.keepalive_timeout_ms, server.duration("keepalive_timeout", 1, 24 * kHour));
    set(config.shutdown_timeout_ms, server.duration("shutdown_timeout", 0, 24 * kHour));
    set(config.max_header_bytes, server.size("max_header_bytes", 1024, 1024 * 1024));
    set(config.max_body_bytes, server.size("max_body_bytes", 0, kMaxBodyBytes));
    if (auto standbys = server.integer("standby_workers", 0, kMaxStandbyWorkers))
        config.standby_workers = static_cast<std::uint32_t>(*standbys);
}

void read_proxy_protocol(const TableReader& server, ServerConfig& config) {
    auto items = server.strings("proxy_protocol_from", "[\"10.0.0.0/8\", \"2001:db8::1\"]");
    for (const auto& item : items.value_or(std::vector<Located<std::string>>{})) {
        if (!is_address_or_cidr(item.value)) {
            server.problem_at(item.position, "proxy_protocol_from",
                              quote(item.value) +
                                  " is not an IP address or CIDR; write e.g. \"10.0.0.1\", "
                                  "\"10.0.0.0/8\" or \"2001:db8::/32\"");
            continue;
        }
        config.proxy_protocol_from.push_back(item.value);
    }
}

}  // namespace

ServerRead read_server(const TableReader& server, const Lookups& lookups) {
    server.reject_unknown_keys({"listen", "tls_listen", "user", "group", "state_dir", "log_dir",
                                "min_site_uid", "min_site_gid", "unknown_host", "header_timeout",
                                "keepalive_timeout", "max_header_bytes", "max_body_bytes",
                                "shutdown_timeout", "proxy_protocol_from", "standby_workers"});
    ServerRead read;
    read.position = server.position();
    read_all_listeners(server, read.config);
    read.tls_listen_written = written_entries(server, "tls_listen") > 0;
    read_dispatcher_identity(server, lookups, read);
    read_directory(server, "state_dir", read.config.state_dir);
    read_directory(server, "log_dir", read.config.log_dir);
    read_min_id(server, "min_site_uid", read.config.min_site_uid);
    read_min_id(server, "min_site_gid", read.config.min_site_gid);
    read_unknown_host(server, read);
    read_limits(server, read.config);
    read_proxy_protocol(server, read.config);
    return read;
}

}  // namespace bulkhead::config::detail
