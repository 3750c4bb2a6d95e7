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

inline Environment fake_environment() {
    Environment environment;
    environment.lookup_user = fake_user;
    environment.lookup_group = fake_group;
    environment.is_directory = fake_is_directory;
    environment.lookup_primary_group = fake_primary_group;
    return environment;
}

}  // namespace bulkhead::config::testing
