#include "base/epoll.hpp"

#include <errno.h>

#include <cstdlib>

#include "base/log.hpp"

namespace bulkhead {

Epoll::Epoll() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) {
        log::error("epoll_create1: ", log::errno_text(errno));
        std::abort();
    }
}

bool Epoll::add(int fd, std::uint32_t events, std::uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &event) == 0;
}

bool Epoll::modify(int fd, std::uint32_t events, std::uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(fd_.get(), EPOLL_CTL_MOD, fd, &event) == 0;
}

void Epoll::remove(int fd) { epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr); }

int Epoll::wait(std::span<epoll_event> events, int timeout_ms) {
    int ready = epoll_wait(fd_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    if (ready < 0) {
        if (errno != EINTR) log::error("epoll_wait: ", log::errno_text(errno));
        return 0;
    }
    return ready;
}

}  // namespace bulkhead
