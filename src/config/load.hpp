#pragma once
// TOML text → validated Config. All problems are collected and reported at once, each as
// "FILE:LINE:COLUMN: what is wrong and what would be right" (INTERFACE.md). Warnings (a
// certificate about to expire) do not stop a load: a valid Config carries them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.hpp"
#include "config/model.hpp"
#include "config/tls_files.hpp"

namespace bulkhead::config {

// What outside the text the checks may consult; tests substitute their own.
struct Environment {
    // Resolve a user or group name; nullopt if unknown. Defaults use getpwnam/getgrnam.
    std::optional<uid_t> (*lookup_user)(const std::string& name) = nullptr;
    std::optional<gid_t> (*lookup_group)(const std::string& name) = nullptr;
    // Whether `path` is an existing directory. Default: stat().
    bool (*is_directory)(const std::string& path) = nullptr;
    // A user's primary group, the default when a user is named without a group. Default:
    // getpwnam's pw_gid; when only lookup_user is substituted, lookup_group of the same name.
    std::optional<gid_t> (*lookup_primary_group)(const std::string& user) = nullptr;
    // Reads and checks a site's certificate, key and OCSP response at `now`. Default:
    // inspect_tls_files (tls_files.hpp).
    TlsInspection (*inspect_tls_files)(const std::string& site, const TlsConfig& tls,
                                       const std::vector<std::string>& hosts,
                                       std::int64_t now) = nullptr;
};

Expected<Config, std::vector<Problem>> parse_config(std::string_view text, const std::string& path,
                                                    const Environment& environment = {});
Expected<Config, std::vector<Problem>> load_config_file(const std::string& path,
                                                        const Environment& environment = {});

// Sizes ("512K", "64M", "1G", or a plain integer of bytes) and durations ("250ms", "10s", "5m",
// "1h", "365d"). nullopt if malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);

// "127.0.0.1:8080", "[::1]:8080", "*:8080" (IPv4 any; use "[::]:8080" for IPv6 any).
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace bulkhead::config
