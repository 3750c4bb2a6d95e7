#pragma once
// The worker's slice of the configuration: its own site and nothing of any other.

#include <cstdint>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "proto/host.hpp"

namespace bulkhead::worker {

struct Site {
    std::string name;
    std::uint32_t site_id = 0;
    std::uint32_t worker_id = 0;
    proto::HostTable hosts;             // the names this site answers (one site id: 0)
    std::string root;                   // document root path, for messages
    UniqueFd root_fd;                   // O_PATH | O_DIRECTORY, opened as the site
    std::vector<std::string> index_files;
    std::vector<std::string> readable;  // extra read-only paths (site.readable)
    std::vector<std::string> writable;  // paths the site may write (site.writable)
    std::uint32_t header_timeout_ms = 10'000;
    std::uint32_t keepalive_timeout_ms = 15'000;
    std::uint32_t max_header_bytes = 16 * 1024;
    std::uint32_t max_connections = 1000;
    std::uint64_t max_body_bytes = 10 * 1024 * 1024;

    bool owns(std::string_view normalized_host) const { return hosts.find(normalized_host).has_value(); }
};

}  // namespace bulkhead::worker
