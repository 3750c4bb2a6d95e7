#include "master/filesystem.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "base/log.hpp"

namespace bulkhead::master {
namespace {

void make_directory(const std::string& path, mode_t mode) {
    if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
        throw std::runtime_error("cannot create " + path + ": " + log::errno_text(errno));
    }
    struct stat info {};
    if (lstat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        throw std::runtime_error(path + " exists and is not a directory");
    }
}

void make_directories(const std::string& path, mode_t mode) {
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        make_directory(path.substr(0, slash), 0755);
    }
    make_directory(path, mode);
}

void own(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    if (chown(path.c_str(), uid, gid) != 0 || chmod(path.c_str(), mode) != 0) {
        throw std::runtime_error("cannot set owner and mode of " + path + ": " + log::errno_text(errno));
    }
}

bool is_empty_directory(const std::string& path) {
    DIR* directory = opendir(path.c_str());
    if (directory == nullptr) return false;
    bool empty = true;
    while (dirent* entry = readdir(directory)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") empty = false;
    }
    closedir(directory);
    return empty;
}

UniqueFd open_log(const std::string& path, gid_t gid) {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640));
    if (!fd) throw std::runtime_error("cannot open log " + path + ": " + log::errno_text(errno));
    if (fchown(fd.get(), 0, gid) != 0 || fchmod(fd.get(), 0640) != 0) {
        throw std::runtime_error("cannot set owner of log " + path + ": " + log::errno_text(errno));
    }
    return fd;
}

}  // namespace

std::string prepare_state_dirs(const config::Config& config) {
    const std::string& state = config.server.state_dir;
    make_directories(state, 0755);
    own(state, 0, 0, 0755);
    std::string jail = state + "/dispatcher-jail";
    make_directory(jail, 0555);
    own(jail, 0, 0, 0555);
    if (!is_empty_directory(jail)) {
        throw std::runtime_error(jail + " must be empty: it is the dispatcher's root directory");
    }
    make_directory(state + "/sites", 0755);
    own(state + "/sites", 0, 0, 0755);
    for (const config::SiteConfig& site : config.sites) {
        std::string own_dir = state + "/sites/" + site.name;
        make_directory(own_dir, 0700);
        own(own_dir, site.uid, site.gid, 0700);
        make_directory(own_dir + "/tmp", 0700);  // the site's /tmp, in its mount namespace
        own(own_dir + "/tmp", site.uid, site.gid, 0700);
    }
    make_directories(config.server.log_dir, 0755);
    return jail;
}

SiteLogs open_site_logs(const config::ServerConfig& server, const config::SiteConfig& site) {
    std::string base = server.log_dir + "/" + site.name;
    return SiteLogs{open_log(base + ".access.log", site.gid), open_log(base + ".error.log", site.gid)};
}

}  // namespace bulkhead::master
