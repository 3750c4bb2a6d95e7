// TOML text → validated Config: parse, read [server] and every [[site]], then the checks that
// span sites. Exceptions stay inside; callers get every problem at once, sorted by line.

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

#include "base/read_file.hpp"
#include "config/sections.hpp"

namespace bulkhead::config {

namespace {

using detail::Located;
using detail::Problems;
using detail::SiteRead;
using detail::TableReader;

constexpr SourcePosition kTopOfFile{1, 1};
constexpr std::size_t kMaxFileBytes = 16 << 20;

std::vector<SiteRead> read_sites(const TableReader& top, const detail::ServerRead& server,
                                 const detail::Lookups& lookups, Problems& problems) {
    std::vector<SiteRead> sites;
    const toml::node* node = top.find("site");
    if (!node) {
        top.table_problem("no [[site]]; add one with at least name, hosts, user and root");
        return sites;
    }
    const toml::array* array = node->as_array();
    if (!array || !array->is_array_of_tables()) {
        top.wrong_type("site", "[[site]] tables (write [[site]], with two brackets)");
        return sites;
    }
    for (const toml::node& element : *array) {
        TableReader site(element.as_table(), "site", detail::position_of(element, kTopOfFile),
                         problems);
        sites.push_back(detail::read_site(site, server, lookups));
    }
    return sites;
}

// toml++'s description, and how to fix the most common mistakes.
std::string syntax_advice(const toml::parse_error& error) {
    std::string description(error.description());
    if (description.find("redefine") != std::string::npos) {
        return description + "; set each key once per table (start another site with [[site]])";
    }
    if (description.find("end-of-file") != std::string::npos) {
        return description + "; close the open bracket, brace or quote";
    }
    return description + "; see https://toml.io for the syntax";
}

// `what` of an earlier site that `key` of a later one repeats: names, hosts, uids.
template <typename Key>
class FirstSeen {
  public:
    // The earlier site and position of `key`, or nullptr after remembering this one.
    const std::pair<std::string, SourcePosition>* check(const Key& key, const std::string& site,
                                                        SourcePosition where) {
        auto [it, inserted] = seen_.try_emplace(key, site, where);
        return inserted ? nullptr : &it->second;
    }

  private:
    std::map<Key, std::pair<std::string, SourcePosition>> seen_;
};

std::string earlier(const std::pair<std::string, SourcePosition>& other) {
    return "site " + detail::quote(other.first) + " (line " + std::to_string(other.second.line) +
           ")";
}

void check_across_sites(const std::vector<SiteRead>& sites, Problems& problems) {
    FirstSeen<std::string> names;
    FirstSeen<std::string> hosts;
    FirstSeen<std::uint32_t> uids;
    for (const SiteRead& read : sites) {
        const SiteConfig& site = read.config;
        if (read.name_position) {
            if (auto other = names.check(site.name, site.name, *read.name_position)) {
                problems.add(*read.name_position, "site.name: " + detail::quote(site.name) +
                                                      " is already the name of " + earlier(*other) +
                                                      "; give each site a unique name");
            }
        }
        for (std::size_t i = 0; i < site.hosts.size(); ++i) {
            if (auto other = hosts.check(site.hosts[i], site.name, read.host_positions[i])) {
                problems.add(read.host_positions[i], "site.hosts: " + detail::quote(site.hosts[i]) +
                                                         " already belongs to " + earlier(*other) +
                                                         "; a name can belong to one site only");
            }
        }
        if (read.uid_position) {
            if (auto other = uids.check(site.uid, site.name, *read.uid_position)) {
                problems.add(*read.uid_position, "site.user: uid " + std::to_string(site.uid) +
                                                     " is already the user of " + earlier(*other) +
                                                     "; each site runs as its own user");
            }
        }
    }
}

void check_unknown_host(const detail::ServerRead& server, const std::vector<SiteRead>& sites,
                        Problems& problems) {
    if (!server.unknown_host_site) {
        return;
    }
    std::string names;
    for (const SiteRead& read : sites) {
        if (read.config.name == server.unknown_host_site->value) {
            return;
        }
        if (!read.config.name.empty()) {
            names += (names.empty() ? "" : ", ") + detail::quote(read.config.name);
        }
    }
    problems.add(server.unknown_host_site->position,
                 "server.unknown_host: " + detail::quote(server.unknown_host_site->value) +
                     " is not a configured site; write \"421\", \"404\", \"400\" or the name of "
                     "a site" +
                     (names.empty() ? std::string() : " (" + names + ")"));
}

// The files of every [site.tls] whose paths are valid: errors and warnings at the keys that
// name them; the facts (chain length, expiry, a digest of the contents) into the model.
void check_tls_files(std::vector<SiteRead>& sites, const Environment& environment,
                     Problems& problems) {
    auto inspect =
        environment.inspect_tls_files ? environment.inspect_tls_files : inspect_tls_files;
    std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    for (SiteRead& read : sites) {
        SiteConfig& site = read.config;
        if (!site.tls || site.tls->cert.empty() || site.tls->key.empty()) {
            continue;
        }
        TlsInspection inspection = inspect(site.name, *site.tls, site.hosts, now);
        for (TlsFinding& finding : inspection.findings) {
            if (finding.warning) {
                problems.add_warning(finding.where, std::move(finding.message));
            } else {
                problems.add(finding.where, std::move(finding.message));
            }
        }
        site.tls->files = inspection.facts;
    }
}

Expected<Config, std::vector<Problem>> parse_or_throw(std::string_view text,
                                                      const std::string& path,
                                                      const Environment& environment) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(path));
    } catch (const toml::parse_error& error) {
        const auto& begin = error.source().begin;
        return unexpected(std::vector<Problem>{
            Problem{path, begin.line, begin.column, "TOML syntax error: " + syntax_advice(error)}});
    }
    Problems problems(path);
    detail::Lookups lookups(environment);
    TableReader top(&root, "", kTopOfFile, problems);
    top.reject_unknown_keys({"server", "site"});
    auto server_table = top.table("server", "[server]");
    TableReader server_reader =
        server_table ? *server_table : TableReader(nullptr, "server", kTopOfFile, problems);
    detail::ServerRead server = detail::read_server(server_reader, lookups);
    std::vector<SiteRead> sites = read_sites(top, server, lookups, problems);
    check_across_sites(sites, problems);
    check_unknown_host(server, sites, problems);
    check_tls_files(sites, environment, problems);
    if (problems.has_errors()) {
        return unexpected(problems.take_sorted());
    }
    Config config{path, std::move(server.config), {}, {problems.take_sorted()}};
    for (SiteRead& site : sites) {
        config.sites.push_back(std::move(site.config));
    }
    return config;
}

}  // namespace

Expected<Config, std::vector<Problem>> parse_config(std::string_view text, const std::string& path,
                                                    const Environment& environment) {
    try {
        return parse_or_throw(text, path, environment);
    } catch (const std::exception& error) {
        return unexpected(std::vector<Problem>{
            Problem{path, 0, 0, std::string("cannot check the configuration: ") + error.what()}});
    }
}

Expected<Config, std::vector<Problem>> load_config_file(const std::string& path,
                                                        const Environment& environment) {
    std::string text;
    if (int error = read_file(path, text, kMaxFileBytes); error != 0) {
        return unexpected(std::vector<Problem>{
            Problem{path, 0, 0,
                    std::string("cannot read the configuration file: ") + std::strerror(error) +
                        "; give the path of a readable TOML file with -c"}});
    }
    return parse_config(text, path, environment);
}

}  // namespace bulkhead::config
