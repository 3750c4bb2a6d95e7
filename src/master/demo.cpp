// `bulkhead demo`: two sites, alpha.localhost and beta.localhost, each its own user, written
// out as an ordinary configuration file and run like any other.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include "master/commands.hpp"

namespace bulkhead::master {
namespace {

constexpr const char* kDemoDir = "/var/lib/bulkhead-demo";
constexpr unsigned kDispatcherId = 40100;  // numeric ids: the demo needs no /etc/passwd entries
constexpr unsigned kAlphaId = 40101;
constexpr unsigned kBetaId = 40102;

void write_file(const std::string& path, const std::string& text, unsigned owner, mode_t mode) {
    std::ofstream(path, std::ios::trunc) << text;
    if (chown(path.c_str(), owner, owner) != 0 || chmod(path.c_str(), mode) != 0) {
        throw std::runtime_error("cannot prepare " + path);
    }
}

void make_site(const std::string& name, unsigned id) {
    std::string site = std::string(kDemoDir) + "/" + name;
    std::string root = site + "/public";
    mkdir(site.c_str(), 0755);
    mkdir(root.c_str(), 0755);
    if (chown(root.c_str(), id, id) != 0) throw std::runtime_error("cannot prepare " + root);
    write_file(root + "/index.html",
               "<!doctype html>\n<title>" + name + "</title>\n<h1>Hello from " + name +
                   "</h1>\n<p>These files belong to uid " + std::to_string(id) +
                   ", and only processes running as that user served this page.</p>\n"
                   "<p><a href=\"private.txt\">private.txt</a> is mode 0600: only " + name +
                   " can read it.</p>\n",
               id, 0644);
    write_file(root + "/private.txt", "Only " + name + " (uid " + std::to_string(id) + ") can read this.\n",
               id, 0600);
}

std::string demo_config(std::uint16_t port) {
    std::string dir = kDemoDir;
    std::string p = std::to_string(port);
    std::string config = "# Written by `bulkhead demo`.\n[server]\n";
    config += "listen = [\"127.0.0.1:" + p + "\"";
    if (access("/proc/net/if_inet6", F_OK) == 0) config += ", \"[::1]:" + p + "\"";
    config += "]\nuser = " + std::to_string(kDispatcherId) + "\ngroup = " + std::to_string(kDispatcherId) +
              "\nstate_dir = \"" + dir + "/state\"\nlog_dir = \"" + dir + "/log\"\n";
    for (auto [name, id] : {std::pair{"alpha", kAlphaId}, std::pair{"beta", kBetaId}}) {
        config += "\n[[site]]\nname = \"" + std::string(name) + "\"\nhosts = [\"" + name + ".localhost\"]\n";
        config += "user = " + std::to_string(id) + "\ngroup = " + std::to_string(id) + "\n";
        config += "root = \"" + dir + "/" + name + "/public\"\nworkers = { min = 2, max = 4 }\n";
    }
    return config;
}

}  // namespace

int demo_command(std::uint16_t port) {
    try {
        mkdir(kDemoDir, 0755);
        chmod(kDemoDir, 0755);
        make_site("alpha", kAlphaId);
        make_site("beta", kBetaId);
        std::string config_path = std::string(kDemoDir) + "/bulkhead.toml";
        write_file(config_path, demo_config(port), 0, 0644);
        std::string p = std::to_string(port);
        std::printf("bulkhead demo: two sites, each served only by its own user\n"
                    "  http://alpha.localhost:%s/   uid %u\n"
                    "  http://beta.localhost:%s/    uid %u\n"
                    "configuration %s, logs in %s/log; stop with Ctrl-C\n\n",
                    p.c_str(), kAlphaId, p.c_str(), kBetaId, config_path.c_str(), kDemoDir);
        std::fflush(stdout);
        return run_command(config_path);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bulkhead demo: %s\n", error.what());
        return kExitStartup;
    }
}

}  // namespace bulkhead::master
