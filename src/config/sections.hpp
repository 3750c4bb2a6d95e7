#pragma once
// Internal to src/config: reading [server] and one [[site]]. Checks that span several sites
// (unique names, hosts and users; unknown_host naming a site) are load.cpp's.

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "config/reader.hpp"

namespace bulkhead::config::detail {

// Limits shared by the server's defaults and each site.
inline constexpr std::uint64_t kMaxBodyBytes = std::uint64_t{1} << 40;  // "1024G"
inline constexpr std::int64_t kMaxId = 4'294'967'294;  // (uid_t)-1 means "no change"

struct ServerRead {
    ServerConfig config;
    SourcePosition position;          // [server], or the top of the file when absent
    bool ids_resolved = false;        // config.uid/gid are known, so sites can be compared to them
    bool tls_listen_written = false;  // tls_listen has entries (valid or not)
    std::optional<Located<std::string>> unknown_host_site;  // checked once all sites are read
};

struct SiteRead {
    SiteConfig config;
    std::optional<SourcePosition> name_position;  // set when the name is valid
    std::vector<SourcePosition> host_positions;   // one per config.hosts entry
    std::optional<SourcePosition> uid_position;   // set when the uid is valid
};

ServerRead read_server(const TableReader& server, const Lookups& lookups);
SiteRead read_site(const TableReader& site, const ServerRead& server, const Lookups& lookups);
// [site.tls], [site.cgi], [site.fastcgi], [site.limits] and [site.network].
void read_site_handlers(const TableReader& site, const ServerRead& server, SiteConfig& config);
// [site.tls] (site_tls.cpp): its keys, not yet its files.
void read_site_tls(const TableReader& site, const ServerRead& server, SiteConfig& config);

// `"alpha" (uid 40101)` for a name, `40101` for a number: the subject of a message.
std::string describe_identity(const Identity& identity, std::string_view kind);

}  // namespace bulkhead::config::detail
