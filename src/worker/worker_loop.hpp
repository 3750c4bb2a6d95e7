#pragma once
// The worker's event loop: takes connections from the dispatcher, drives them, hands back
// the ones whose next request names another site, and reports its load.

#include <memory>
#include <queue>
#include <tuple>
#include <vector>

#include "base/epoll.hpp"
#include "worker/access_log.hpp"
#include "worker/connection.hpp"
#include "worker/site.hpp"
#include "worker/static_files.hpp"

namespace bulkhead::worker {

class WorkerLoop {
public:
    WorkerLoop(Site& site, const StaticFiles& files, int dispatcher_channel, int access_log_fd);
    // Runs until SIGTERM (graceful) or SIGQUIT, or the channels close. Returns the exit status.
    int run();

private:
    enum class Kind : std::uint32_t { dispatcher, connection, signals };
    static std::uint64_t token(Kind kind, int fd) {
        return (static_cast<std::uint64_t>(kind) << 32) | static_cast<std::uint32_t>(fd);
    }

    void on_dispatcher_message();
    void adopt(UniqueFd socket, const ipc::ConnectionMeta& meta, std::uint16_t flags, std::string carried);
    void drive(int fd, Connection::Verdict verdict);
    void hand_back(Connection& connection);
    void close_connection(int fd);
    void expire_deadlines();
    void schedule(Connection& connection);
    void report_load();
    void on_signal();
    void begin_stop();

    Site& site_;
    const StaticFiles& files_;
    int dispatcher_;
    AccessLog access_log_;
    UniqueFd signals_;
    Epoll epoll_;
    std::vector<std::unique_ptr<Connection>> connections_;  // indexed by descriptor number
    std::vector<std::uint32_t> interest_;                    // registered epoll events; 0: none
    std::vector<Millis> scheduled_;                          // earliest timer entry per fd
    std::size_t connection_count_ = 0;
    std::size_t reported_count_ = 0;
    Millis last_report_ = 0;
    using TimerEntry = std::tuple<Millis, int>;
    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
    std::vector<std::byte> message_buffer_;
    bool stopping_ = false;
    bool done_ = false;
};

}  // namespace bulkhead::worker
