#include "config/guarded_path.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <memory>

namespace bulkhead::config {
namespace {

// Why `component` (lstat'ed, so a symlink is judged itself) is not guarded, if it is not.
std::optional<std::string> unguarded(const std::string& component, uid_t trusted_uid) {
    struct stat info {};
    if (lstat(component.c_str(), &info) != 0)
        return std::nullopt;
    if (info.st_uid != 0 && info.st_uid != trusted_uid)
        return component + " is owned by uid " + std::to_string(info.st_uid);
    if (S_ISLNK(info.st_mode))
        return std::nullopt;  // a symlink's own mode means nothing; its owner was checked
    bool sticky_directory = S_ISDIR(info.st_mode) && (info.st_mode & S_ISVTX);
    if ((info.st_mode & S_IWOTH) && !sticky_directory)
        return component + " is writable by every user";
    if ((info.st_mode & S_IWGRP) && info.st_gid != 0 && !sticky_directory)
        return component + " is writable by group " + std::to_string(info.st_gid);
    return std::nullopt;
}

// Every prefix of an absolute path: "/", "/a", "/a/b", ...
std::optional<std::string> first_unguarded_prefix(const std::string& path, uid_t trusted_uid) {
    if (auto why = unguarded("/", trusted_uid))
        return why;
    for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string prefix = path.substr(0, slash);
        if (!prefix.empty() && prefix.back() != '/') {
            if (auto why = unguarded(prefix, trusted_uid))
                return why;
        }
        if (slash == std::string::npos)
            return std::nullopt;
    }
}

}  // namespace

std::optional<std::string> unguarded_component(const std::string& path, uid_t trusted_uid) {
    if (path.empty() || path[0] != '/')
        return path + " is not an absolute path";
    if (auto why = first_unguarded_prefix(path, trusted_uid))
        return why;
    // Symlinks along the way were judged by their owners; their targets are judged here.
    std::unique_ptr<char, decltype(&free)> resolved(realpath(path.c_str(), nullptr), &free);
    if (!resolved)
        return std::nullopt;
    return first_unguarded_prefix(resolved.get(), trusted_uid);
}

}  // namespace bulkhead::config
