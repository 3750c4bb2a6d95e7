#pragma once
// Users, groups and directories for the config tests, so that no test needs real users.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "config/load.hpp"

namespace bulkhead::config::testing {

inline std::optional<uid_t> fake_user(const std::string& name) {
    static const std::map<std::string, uid_t> users = {
        {"bulkhead", 40100}, {"alpha", 40101}, {"beta", 40102},    {"gamma", 40103},
        {"loner", 40104},    {"toor", 40105},  {"mallory", 40106}, {"ghost", 40107},
        {"root", 0},         {"daemon", 1},    {"www", 33}};
    auto it = users.find(name);
    return it == users.end() ? std::nullopt : std::optional<uid_t>(it->second);
}

inline std::optional<gid_t> fake_group(const std::string& name) {
    static const std::map<std::string, gid_t> groups = {
        {"bulkhead", 40100}, {"alpha", 40101}, {"beta", 40102}, {"gamma", 40103},
        {"sites", 40200},    {"root", 0},      {"daemon", 1},   {"www", 33}};
    auto it = groups.find(name);
    return it == groups.end() ? std::nullopt : std::optional<gid_t>(it->second);
}

// Users without a group of their own: "loner" is in "sites", "toor" in root's group, "mallory"
// in the dispatcher's, and "ghost" in none.
inline std::optional<gid_t> fake_primary_group(const std::string& user) {
    static const std::map<std::string, gid_t> primary = {
        {"loner", 40200}, {"toor", 0}, {"mallory", 40100}};
    if (auto it = primary.find(user); it != primary.end()) {
        return it->second;
    }
    return fake_user(user) ? fake_group(user) : std::nullopt;
}

inline bool fake_is_directory(const std::string& path) {
    static const std::set<std::string> directories = {"/srv/alpha/public", "/srv/beta/public",
                                                      "/srv/gamma"};
    return directories.count(path) != 0;
}

// Certificate files that need not exist: every one is a valid chain of two, valid from
// 2024-01-01 to 2030-01-01, with no findings. tls_files_test.cpp checks real files.
inline constexpr std::int64_t kFakeNotBefore = 1'704'067'200;  // 2024-01-01
inline constexpr std::int64_t kFakeNotAfter = 1'893'456'000;   // 2030-01-01

inline TlsInspection fake_inspect_tls_files(const std::string&, const TlsConfig&,
                                            const std::vector<std::string>&, std::int64_t) {
    TlsInspection inspection;
    inspection.facts.chain_length = 2;
    inspection.facts.not_before = kFakeNotBefore;
    inspection.facts.not_after = kFakeNotAfter;
    return inspection;
}

inline Environment fake_environment() {
    Environment environment;
    environment.lookup_user = fake_user;
    environment.lookup_group = fake_group;
    environment.is_directory = fake_is_directory;
    environment.lookup_primary_group = fake_primary_group;
    environment.inspect_tls_files = fake_inspect_tls_files;
    return environment;
}

}  // namespace bulkhead::config::testing
