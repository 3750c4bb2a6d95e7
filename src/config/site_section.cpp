// One [[site]]: its name, host names, identity, document root, paths and worker counts.
// Its sub-tables (tls, cgi, fastcgi, limits) are site_handlers.cpp's.

#include <algorithm>

#include "config/sections.hpp"
#include "proto/host.hpp"

namespace bulkhead::config::detail {

namespace {

bool is_valid_site_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

void read_name(const TableReader& site, SiteRead& read) {
    if (!site.require("name", "\"alpha\"")) {
        return;
    }
    auto name = site.string("name", "\"alpha\"");
    if (!name) {
        return;
    }
    if (!is_valid_site_name(*name)) {
        site.problem("name", quote(*name) +
                                 " is not a valid site name; use 1 to 64 characters from a-z, "
                                 "0-9 and \"-\", e.g. \"alpha\"");
        return;
    }
    read.config.name = *name;
    read.name_position = site.position_of("name");
}

// Lowercase, without one trailing dot: the form the dispatcher routes by.
std::string normalize_pattern(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (!out.empty() && out.back() == '.') {
        out.pop_back();
    }
    return out;
}

void read_hosts(const TableReader& site, SiteRead& read) {
    if (!site.require("hosts", "[\"alpha.example\", \"*.alpha.example\"]")) {
        return;
    }
    auto items = site.strings("hosts", "[\"alpha.example\", \"*.alpha.example\"]");
    if (items && items->empty()) {
        site.problem("hosts", "[] is empty; list at least one name, e.g. [\"alpha.example\"]");
    }
    for (const auto& item : items.value_or(std::vector<Located<std::string>>{})) {
        std::string host = normalize_pattern(item.value);
        if (!proto::is_valid_host_pattern(host)) {
            site.problem_at(item.position, "hosts",
                            quote(item.value) +
                                " is not a host name; write a name like \"alpha.example\" or "
                                "\"*.alpha.example\" (no scheme, port or path)");
            continue;
        }
        auto& hosts = read.config.hosts;
        if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) {
            site.problem_at(item.position, "hosts",
                            quote(item.value) + " is listed twice; list each name once");
            continue;
        }
        hosts.push_back(host);
        read.host_positions.push_back(item.position);
    }
}

// The policy for a site's uid: never root, never below the minimum, never the dispatcher's.
bool check_site_uid(const TableReader& site, const ServerRead& server, const Identity& user) {
    std::string subject = describe_identity(user, "uid");
    std::string minimum = std::to_string(server.config.min_site_uid);
    if (user.id == 0) {
        site.problem("user", subject +
                                 " is root; a site needs its own unprivileged user (uid >= "
                                 "server.min_site_uid = " +
                                 minimum + ")");
    } else if (user.id < server.config.min_site_uid) {
        site.problem("user", subject + " is below server.min_site_uid = " + minimum +
                                 "; give the site its own user with a uid of " + minimum +
                                 " or more");
    } else if (server.ids_resolved && user.id == server.config.uid) {
        site.problem("user", subject +
                                 " is server.user, the dispatcher's user, which owns no site; "
                                 "give the site its own user");
    } else {
        return true;
    }
    return false;
}

// The same for the gid; `subject` says where the group came from.
void check_site_gid(const TableReader& site, const ServerRead& server, SourcePosition where,
                    const std::string& subject, std::uint32_t gid) {
    std::string minimum = std::to_string(server.config.min_site_gid);
    if (gid == 0) {
        site.problem_at(where, "group",
                        subject +
                            " is root's group; a site needs its own unprivileged group (gid >= "
                            "server.min_site_gid = " +
                            minimum + ")");
    } else if (gid < server.config.min_site_gid) {
        site.problem_at(where, "group",
                        subject + " is below server.min_site_gid = " + minimum +
                            "; give the site its own group with a gid of " + minimum + " or more");
    } else if (server.ids_resolved && gid == server.config.gid) {
        site.problem_at(where, "group",
                        subject +
                            " is server.group, the dispatcher's group; give the site its own "
                            "group");
    }
}

void read_written_group(const TableReader& site, const ServerRead& server, const Lookups& lookups,
                        SiteConfig& config) {
    auto group = read_identity(site, "group", false, lookups);
    if (!group) {
        return;
    }
    check_site_gid(site, server, site.position_of("group"), describe_identity(*group, "gid"),
                   group->id);
    config.group = group->text;
    config.gid = group->id;
}

// No group written: the user's primary group, or the user's number.
void read_default_group(const TableReader& site, const ServerRead& server, const Lookups& lookups,
                        const Identity& user, bool user_ok, SiteConfig& config) {
    auto group = default_group(user, lookups);
    if (!group) {
        site.problem("user",
                     "user " + quote(user.text) + " has no primary group; set site.group as well");
        return;
    }
    if (user_ok) {
        std::string subject = "gid " + group->text + ", the " +
                              (user.numeric ? "default group of uid " + user.text
                                            : "primary group of user " + quote(user.text)) +
                              ",";
        check_site_gid(site, server, site.position_of("user"), subject, group->id);
    }
    config.group = group->text;
    config.gid = group->id;
}

void read_site_identity(const TableReader& site, const ServerRead& server, const Lookups& lookups,
                        SiteRead& read) {
    if (!site.require("user", "\"alpha\" (the site's own user) or a uid like 40101")) {
        return;
    }
    auto user = read_identity(site, "user", true, lookups);
    bool user_ok = user && check_site_uid(site, server, *user);
    if (user) {
        read.config.user = user->text;
        read.config.uid = user->id;
    }
    if (user_ok) {
        read.uid_position = site.position_of("user");
    }
    if (site.has("group")) {
        read_written_group(site, server, lookups, read.config);
    } else if (user) {
        read_default_group(site, server, lookups, *user, user_ok, read.config);
    }
}

// Each site sees its own private directory as /tmp (its mount namespace), so nothing the
// site is configured to reach may live under the host's /tmp.
bool is_under_tmp(std::string_view path) { return path == "/tmp" || path.starts_with("/tmp/"); }

constexpr const char* kUnderTmp =
    " is under /tmp, which every site sees as its own private directory; put it elsewhere, "
    "e.g. under /srv or /var/www";

void read_root(const TableReader& site, const Lookups& lookups, SiteConfig& config) {
    if (!site.require("root", "\"/srv/alpha/public\"")) {
        return;
    }
    auto root = site.string("root", "\"/srv/alpha/public\"");
    if (!root) {
        return;
    }
    if (!is_absolute_path(*root)) {
        site.problem("root", quote(*root) +
                                 " is not an absolute path; write the full path, e.g. "
                                 "\"/srv/alpha/public\"");
    } else if (is_under_tmp(*root)) {
        site.problem("root", quote(*root) + kUnderTmp);
    } else if (!lookups.is_directory(*root)) {
        site.problem("root",
                     quote(*root) + " is not an existing directory; create it or correct the path");
    } else {
        config.root = *root;
    }
}

bool is_plain_file_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

void read_index(const TableReader& site, SiteConfig& config) {
    auto items = site.strings("index", "[\"index.html\", \"index.php\"]");
    if (!items) {
        return;
    }
    config.index.clear();
    for (const auto& item : *items) {
        if (!is_plain_file_name(item.value)) {
            site.problem_at(item.position, "index",
                            quote(item.value) +
                                " is not a plain file name; write a name without \"/\", e.g. "
                                "\"index.html\"");
            continue;
        }
        config.index.push_back(item.value);
    }
}

void read_paths(const TableReader& site, std::string_view key, std::string_view example,
                std::vector<std::string>& out) {
    auto items = site.strings(key, "[\"" + std::string(example) + "\"]");
    for (const auto& item : items.value_or(std::vector<Located<std::string>>{})) {
        if (!is_absolute_path(item.value)) {
            site.problem_at(item.position, key,
                            quote(item.value) +
                                " is not an absolute path; write the full path, "
                                "e.g. \"" +
                                std::string(example) + "\"");
            continue;
        }
        if (is_under_tmp(item.value)) {
            site.problem_at(item.position, key, quote(item.value) + kUnderTmp);
            continue;
        }
        out.push_back(item.value);
    }
}

void read_workers(const TableReader& site, SiteConfig& config) {
    auto workers = site.table("workers", "{ min = 0, max = 4 }");
    if (!workers) {
        return;
    }
    workers->reject_unknown_keys({"min", "max", "idle"});
    if (auto idle = workers->duration("idle", 1000, 24ULL * 3600 * 1000)) {
        config.workers.idle_ms = *idle;
    }
    auto min = workers->integer("min", 0, 1024);
    auto max = workers->integer("max", 1, 1024);
    if (min) {
        config.workers.min = static_cast<std::uint32_t>(*min);
    }
    if (max) {
        config.workers.max = static_cast<std::uint32_t>(*max);
    }
    if (min && (max || !workers->has("max")) && config.workers.min > config.workers.max) {
        workers->problem("min", std::to_string(config.workers.min) +
                                    " is more than workers.max = " +
                                    std::to_string(config.workers.max) + "; make min at most max");
    }
}

}  // namespace

SiteRead read_site(const TableReader& site, const ServerRead& server, const Lookups& lookups) {
    site.reject_unknown_keys({"name", "hosts", "user", "group", "root", "index", "workers",
                              "readable", "writable", "max_body_bytes", "tls", "cgi", "fastcgi",
                              "limits", "network", "selinux_context"});
    SiteRead read;
    read.config.position = site.position();
    read_name(site, read);
    read_hosts(site, read);
    read_site_identity(site, server, lookups, read);
    read_root(site, lookups, read.config);
    read_index(site, read.config);
    read_workers(site, read.config);
    read_paths(site, "readable", "/usr/share/php", read.config.readable);
    read_paths(site, "writable", "/srv/alpha/uploads", read.config.writable);
    read.config.max_body_bytes =
        site.size("max_body_bytes", 0, kMaxBodyBytes).value_or(server.config.max_body_bytes);
    read_site_handlers(site, server, read.config);
    if (auto context = site.string("selinux_context", "\"system_u:system_r:httpd_t:s0\"")) {
        if (context->empty() || context->find_first_of(" \n\t") != std::string::npos) {
            site.problem("selinux_context", quote(*context) +
                                                " is not an SELinux context; write e.g. "
                                                "\"system_u:system_r:httpd_t:s0\"");
        } else {
            read.config.selinux_context = *context;
        }
    }
    return read;
}

}  // namespace bulkhead::config::detail
