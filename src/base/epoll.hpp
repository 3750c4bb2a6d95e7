#pragma once
// A thin owner of an epoll instance. Each registration carries a 64-bit token the caller
// chooses (usually a kind tag and a descriptor number).

#include <sys/epoll.h>

#include <cstdint>
#include <span>

#include "base/unique_fd.hpp"

namespace bulkhead {

class Epoll {
public:
    Epoll();  // aborts if the kernel refuses: nothing can run without it
    bool add(int fd, std::uint32_t events, std::uint64_t token);
    bool modify(int fd, std::uint32_t events, std::uint64_t token);
    void remove(int fd);
    // Returns the ready events (0 on timeout or EINTR). timeout_ms < 0 waits forever.
    int wait(std::span<epoll_event> events, int timeout_ms);

private:
    UniqueFd fd_;
};

}  // namespace bulkhead
