#pragma once
// What the worker's event loop offers the objects that do I/O besides client connections:
// CGI pipes, FastCGI sockets and the processes behind them. Implemented by WorkerLoop; tests
// may implement it too. Every callback runs from the loop, never from inside another callback
// of the same object, so a callback may freely call back into the loop.

#include <sys/types.h>

#include <cstdint>

#include "base/clock.hpp"

namespace bulkhead::worker {

// A descriptor's readiness (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR bits).
class IoHandler {
  public:
    virtual void on_io(int fd, std::uint32_t events) = 0;

  protected:
    ~IoHandler() = default;
};

// A child process ended. Called before the child is reaped: its process id (and its process
// group, if it leads one) cannot have been reused yet, so killing the group is still safe.
class ChildObserver {
  public:
    virtual void on_child_exit(pid_t pid, int wait_status) = 0;

  protected:
    ~ChildObserver() = default;
};

// Something with a deadline of its own, outside any connection (a restart back-off).
class Ticker {
  public:
    virtual Millis next_tick() const = 0;  // kNever when there is nothing to do
    virtual void on_tick(Millis now) = 0;

  protected:
    ~Ticker() = default;
};

inline constexpr Millis kNever = INT64_MAX / 2;

class Reactor {
  public:
    // Level-triggered interest in `events` of `fd` (0: none, errors still reported). The
    // handler must call unwatch() before it closes the descriptor.
    virtual void watch(int fd, std::uint32_t events, IoHandler& handler) = 0;
    virtual void unwatch(int fd) = 0;
    // The client connection on `connection_fd` has something new to do: the loop advances it
    // once the current callback has returned.
    virtual void wake(int connection_fd) = 0;
    virtual void watch_child(pid_t pid, ChildObserver& observer) = 0;
    virtual void forget_child(pid_t pid) = 0;  // it is still reaped, silently
    virtual void add_ticker(Ticker& ticker) = 0;

  protected:
    ~Reactor() = default;
};

}  // namespace bulkhead::worker
