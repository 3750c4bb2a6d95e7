#include "master/cgroups.hpp"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace bulkhead::master {
namespace {

struct Mount {
    std::string path;
    std::string type;     // "cgroup" or "cgroup2"
    std::string options;  // super options: "rw,memory"
};

std::vector<Mount> cgroup_mounts() {
    std::vector<Mount> mounts;
    std::ifstream mountinfo("/proc/self/mountinfo");
    for (std::string line; std::getline(mountinfo, line);) {
        std::size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream before(line.substr(0, dash)), after(line.substr(dash + 3));
        std::string id, parent, device, root, mount_point, type, source, options;
        before >> id >> parent >> device >> root >> mount_point;
        after >> type >> source >> options;
        if (type == "cgroup" || type == "cgroup2")
            mounts.push_back({mount_point, type, options});
    }
    return mounts;
}

// "4:memory:/a/b" → {"memory": "/a/b"}; "0::/x" → {"": "/x"}
std::map<std::string, std::string> own_cgroups() {
    std::map<std::string, std::string> paths;
    std::ifstream file("/proc/self/cgroup");
    for (std::string line; std::getline(file, line);) {
        std::size_t first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos)
            continue;
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        std::istringstream list(controllers);
        for (std::string controller; std::getline(list, controller, ',');)
            paths[controller] = path;
        if (controllers.empty())
            paths[""] = path;
    }
    return paths;
}

bool has_option(const std::string& options, const std::string& wanted) {
    std::istringstream list(options);
    for (std::string option; std::getline(list, option, ',');) {
        if (option == wanted)
            return true;
    }
    return false;
}

std::string read_line(const std::string& path) {
    std::ifstream file(path);
    std::string line;
    std::getline(file, line);
    return line;
}

void write_value(const std::string& path, const std::string& value) {
    std::ofstream file(path);
    file << value;
    file.flush();
    if (!file)
        throw std::runtime_error("cannot write " + value + " to " + path);
}

void make_directory(const std::string& path) {
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        throw std::runtime_error("cannot create cgroup " + path + ": " + log::errno_text(errno));
    }
}

}  // namespace

// Servers on one host (several test servers at once, say) must not share a site's cgroup: the
// name carries a short hash of the state directory, which is this server's own.
static std::string instance_prefix(const std::string& state_dir) {
    std::uint32_t hash = 2166136261u;
    for (char c : state_dir)
        hash = (hash ^ static_cast<std::uint8_t>(c)) * 16777619u;
    char text[16];
    std::snprintf(text, sizeof text, "%08x", hash);
    return std::string("bulkhead-") + text;
}

Cgroups::Cgroups(const std::string& state_dir) : prefix_(instance_prefix(state_dir)) {
    std::map<std::string, std::string> own = own_cgroups();
    for (const Mount& mount : cgroup_mounts()) {
        if (mount.type == "cgroup2" && own.count("")) {
            std::string base = mount.path + (own[""] == "/" ? "" : own[""]);
            std::istringstream available(read_line(base + "/cgroup.controllers"));
            for (std::string controller; available >> controller;) {
                if (controller == "memory" || controller == "pids" || controller == "cpu") {
                    v2_controllers_.push_back(controller);
                }
            }
            v2_base_ = base;
            continue;
        }
        for (const char* controller : {"memory", "pids", "cpu"}) {
            if (mount.type == "cgroup" && has_option(mount.options, controller) &&
                own.count(controller)) {
                std::string path = own[controller] == "/" ? "" : own[controller];
                v1_.push_back({controller, mount.path + path});
            }
        }
    }
}

std::string Cgroups::describe() const {
    std::string text;
    for (const Hierarchy& hierarchy : v1_)
        text += " v1:" + hierarchy.controller;
    for (const std::string& controller : v2_controllers_)
        text += " v2:" + controller;
    return text.empty() ? "no cgroup controllers available" : "cgroup controllers" + text;
}

}  // namespace bulkhead::master

namespace bulkhead::master {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// cgroup v1 cpu.shares for a v2-style weight (1..10000, default 100 ↔ 1024 shares).
std::string shares_for(std::uint32_t weight) {
    return std::to_string(
        std::max<std::uint64_t>(2, static_cast<std::uint64_t>(weight) * 1024 / 100));
}

}  // namespace

// v2 forbids processes in a cgroup whose children have controllers ("no internal processes"),
// so the master moves itself into a leaf of its own before delegating controllers.
void Cgroups::enable_v2_controllers() {
    if (v2_enabled_ || v2_base_.empty() || v2_controllers_.empty())
        return;
    v2_enabled_ = true;
    try {
        std::string leaf = v2_base_ + "/" + prefix_ + "-master";
        make_directory(leaf);
        write_value(leaf + "/cgroup.procs", std::to_string(getpid()));
        std::string enable;
        for (const std::string& controller : v2_controllers_)
            enable += "+" + controller + " ";
        write_value(v2_base_ + "/cgroup.subtree_control", enable);
    } catch (const std::exception& error) {
        log::warning("cgroup v2: cannot delegate controllers (", error.what(),
                     "); using v1 where present");
        v2_controllers_.clear();
    }
}

SiteCgroup Cgroups::prepare_site(const config::SiteConfig& site) {
    enable_v2_controllers();
    SiteCgroup cgroup;
    const config::SiteLimits& limits = site.limits;
    std::map<std::string, bool> wanted = {{"memory", limits.memory_bytes.has_value()},
                                          {"pids", limits.pids.has_value()},
                                          {"cpu", limits.cpu_weight != 100}};
    std::map<std::string, bool> done;
    if (!v2_base_.empty()) {  // grouping always; limits where the controllers are ours
        std::string dir = v2_base_ + "/" + prefix_ + "-site-" + site.name;
        make_directory(dir);
        if (contains(v2_controllers_, "memory") && limits.memory_bytes) {
            write_value(dir + "/memory.max", std::to_string(*limits.memory_bytes));
        }
        if (contains(v2_controllers_, "pids")) {
            write_value(dir + "/pids.max", limits.pids ? std::to_string(*limits.pids) : "max");
        }
        if (contains(v2_controllers_, "cpu"))
            write_value(dir + "/cpu.weight", std::to_string(limits.cpu_weight));
        for (const std::string& controller : v2_controllers_)
            done[controller] = true;
        cgroup.directories.push_back(dir);
        cgroup.procs_files.push_back(dir + "/cgroup.procs");
        cgroup.description += "v2";
    }
    for (const Hierarchy& hierarchy : v1_) {
        if (done[hierarchy.controller])
            continue;
        std::string parent = hierarchy.base + "/" + prefix_;
        std::string dir = parent + "/" + site.name;
        make_directory(parent);
        make_directory(dir);
        if (hierarchy.controller == "memory" && limits.memory_bytes) {
            write_value(dir + "/memory.limit_in_bytes", std::to_string(*limits.memory_bytes));
        }
        if (hierarchy.controller == "pids") {
            write_value(dir + "/pids.max", limits.pids ? std::to_string(*limits.pids) : "max");
        }
        if (hierarchy.controller == "cpu")
            write_value(dir + "/cpu.shares", shares_for(limits.cpu_weight));
        done[hierarchy.controller] = true;
        cgroup.directories.push_back(dir);
        cgroup.parents.push_back(parent);
        cgroup.procs_files.push_back(dir + "/cgroup.procs");
        cgroup.description += " v1:" + hierarchy.controller;
    }
    for (const auto& [controller, needed] : wanted) {
        if (needed && !done[controller]) {
            throw std::runtime_error("site " + site.name + ": limits need the " + controller +
                                     " cgroup controller, which is not available to bulkhead here");
        }
    }
    return cgroup;
}

namespace {

std::vector<pid_t> members(const std::string& procs_file) {
    std::vector<pid_t> pids;
    std::ifstream procs(procs_file);
    for (pid_t pid; procs >> pid;)
        pids.push_back(pid);
    return pids;
}

bool is_member(const std::string& procs_file, pid_t pid) {
    std::vector<pid_t> pids = members(procs_file);
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

}  // namespace

void Cgroups::kill_members(const SiteCgroup& cgroup) {
    for (const std::string& procs_file : cgroup.procs_files) {
        for (pid_t pid : members(procs_file)) {
            // The pid may have been reused since the list was read. Pin the process first,
            // then check that the pid is still listed: if the pinned process is alive the
            // pid is still its, so it is a member; if it died, the signal goes nowhere.
            UniqueFd pinned(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
            if (!pinned || !is_member(procs_file, pid))
                continue;
            syscall(SYS_pidfd_send_signal, pinned.get(), SIGKILL, nullptr, 0);
        }
    }
}

void Cgroups::remove(const SiteCgroup& cgroup, Millis give_up_at) {
    // Killed processes leave their cgroups as they exit, a little after the signal.
    constexpr int kStepMs = 10;
    for (const std::string& dir : cgroup.directories) {
        while (rmdir(dir.c_str()) != 0 && errno == EBUSY && monotonic_ms() < give_up_at)
            usleep(kStepMs * 1000);
    }
    // A parent goes with its last site; while other sites remain the call fails harmlessly.
    for (const std::string& parent : cgroup.parents)
        rmdir(parent.c_str());
}

}  // namespace bulkhead::master
