// Users and groups: names resolved through the Environment (getpwnam_r/getgrnam_r by default).

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "config/reader.hpp"
#include "config/sections.hpp"

namespace bulkhead::config::detail {

namespace {

// Calls getpwnam_r/getgrnam_r with a buffer that grows until the entry fits.
template <typename Entry, typename Function>
std::optional<Entry> lookup_entry(Function function, const std::string& name) {
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buffer(hint > 0 ? static_cast<std::size_t>(hint) : 4096);
    for (;;) {
        Entry entry{};
        Entry* found = nullptr;
        int error = function(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (error == ERANGE && buffer.size() < (1u << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (error != 0 || !found) {
            return std::nullopt;
        }
        return entry;
    }
}

std::optional<uid_t> system_user(const std::string& name) {
    auto entry = lookup_entry<passwd>(getpwnam_r, name);
    return entry ? std::optional<uid_t>(entry->pw_uid) : std::nullopt;
}

std::optional<gid_t> system_primary_group(const std::string& name) {
    auto entry = lookup_entry<passwd>(getpwnam_r, name);
    return entry ? std::optional<gid_t>(entry->pw_gid) : std::nullopt;
}

std::optional<gid_t> system_group(const std::string& name) {
    auto entry = lookup_entry<group>(getgrnam_r, name);
    return entry ? std::optional<gid_t>(entry->gr_gid) : std::nullopt;
}

bool system_is_directory(const std::string& path) {
    struct stat status {};
    return stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
}

bool all_digits(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

std::string unknown_name_message(const std::string& name, bool is_user) {
    std::string kind = is_user ? "user" : "group";
    std::string message = "no " + kind + " named " + quote(name) + " on this system; ";
    if (all_digits(name)) {
        return message + "write " + name + " without quotes for a numeric " +
               (is_user ? "uid" : "gid");
    }
    return message + "create it (" + (is_user ? "useradd --system " : "groupadd --system ") + name +
           ") or write an existing " + kind + "'s name or number";
}

}  // namespace

std::optional<uid_t> Lookups::user(const std::string& name) const {
    return environment_.lookup_user ? environment_.lookup_user(name) : system_user(name);
}

std::optional<gid_t> Lookups::group(const std::string& name) const {
    return environment_.lookup_group ? environment_.lookup_group(name) : system_group(name);
}

std::optional<gid_t> Lookups::primary_group(const std::string& user) const {
    if (environment_.lookup_primary_group) {
        return environment_.lookup_primary_group(user);
    }
    if (environment_.lookup_user) {
        return group(user);
    }
    return system_primary_group(user);
}

bool Lookups::is_directory(const std::string& path) const {
    return environment_.is_directory ? environment_.is_directory(path) : system_is_directory(path);
}

std::optional<Identity> read_identity(const TableReader& table, std::string_view key, bool is_user,
                                      const Lookups& lookups) {
    const toml::node* node = table.find(key);
    if (!node) {
        return std::nullopt;
    }
    if (node->is_integer()) {
        auto id = table.integer(key, 0, kMaxId);
        if (!id) {
            return std::nullopt;
        }
        return Identity{std::to_string(*id), static_cast<std::uint32_t>(*id), true};
    }
    std::string example =
        is_user ? "\"alpha\" or a uid like 40101" : "\"alpha\" or a gid like 40101";
    if (!node->is_string() || node->as_string()->get().empty()) {
        table.wrong_type(key, (is_user ? "a user name like " : "a group name like ") + example);
        return std::nullopt;
    }
    std::string name = node->as_string()->get();
    auto id = is_user ? lookups.user(name) : lookups.group(name);
    if (!id) {
        table.problem(key, unknown_name_message(name, is_user));
        return std::nullopt;
    }
    return Identity{name, static_cast<std::uint32_t>(*id), false};
}

std::string describe_identity(const Identity& identity, std::string_view kind) {
    if (identity.numeric) {
        return identity.text;
    }
    return quote(identity.text) + " (" + std::string(kind) + " " + std::to_string(identity.id) +
           ")";
}

std::optional<Identity> default_group(const Identity& user, const Lookups& lookups) {
    if (user.numeric) {
        return Identity{user.text, user.id, true};
    }
    auto gid = lookups.primary_group(user.text);
    if (!gid) {
        return std::nullopt;
    }
    return Identity{std::to_string(*gid), static_cast<std::uint32_t>(*gid), true};
}

}  // namespace bulkhead::config::detail
