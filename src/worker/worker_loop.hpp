#pragma once
// The worker's event loop: takes connections from the dispatcher, drives them, hands back
// the ones whose next request names another site, and reports its load. It is also the
// Reactor of the handlers that run site programs: their pipes and sockets, their child
// processes (SIGCHLD through the signalfd), and the FastCGI applications' restart timers.

#include <sys/types.h>

#include <memory>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/epoll.hpp"
#include "worker/access_log.hpp"
#include "worker/app_pool.hpp"
#include "worker/connection.hpp"
#include "worker/reactor.hpp"
#include "worker/router.hpp"
#include "worker/site.hpp"
#include "worker/static_files.hpp"
#include "worker/tls_context.hpp"

namespace bulkhead::worker {

class WorkerLoop final : public Reactor {
  public:
    // `tls` is the site's TLS context, or null when the site has no [site.tls].
    WorkerLoop(Site& site, const StaticFiles& files, TlsContext* tls, int dispatcher_channel,
               int access_log_fd);
    ~WorkerLoop();
    // Runs until SIGTERM (graceful) or SIGQUIT, or the channels close. Returns the exit status.
    int run();

    // Reactor
    void watch(int fd, std::uint32_t events, IoHandler& handler) override;
    void unwatch(int fd) override;
    void wake(int connection_fd) override;
    void watch_child(pid_t pid, ChildObserver& observer) override;
    void forget_child(pid_t pid) override;
    void add_ticker(Ticker& ticker) override;

  private:
    enum class Kind : std::uint32_t { dispatcher, connection, signals, handler, master };
    static std::uint64_t token(Kind kind, int fd) {
        return (static_cast<std::uint64_t>(kind) << 32) | static_cast<std::uint32_t>(fd);
    }
    // Registered epoll interest of a descriptor: kNone when it is not registered.
    static constexpr std::uint32_t kNone = 0xffffffff;

    void dispatch(const epoll_event& event);
    void on_dispatcher_message();
    void adopt(UniqueFd socket, const ipc::ConnectionMeta& meta, std::uint16_t flags,
               std::string carried);
    void drive(int fd, ClientSession::Verdict verdict);
    void switch_to_http2(int fd);
    void drive_woken();
    void hand_back(Connection& connection);
    void close_connection(int fd);
    void expire_deadlines();
    void run_tickers();
    int wait_timeout() const;
    void schedule(ClientSession& connection);
    void report_load();
    void on_signal();
    void on_master_message();  // master_messages.cpp
    void reap_children();
    void begin_stop();
    void grow(int fd);

    Site& site_;
    TlsContext* tls_;
    int dispatcher_;
    AccessLog access_log_;
    UniqueFd signals_;
    Epoll epoll_;
    std::vector<std::unique_ptr<ClientSession>> connections_;  // indexed by descriptor number
    std::vector<std::uint32_t> interest_;                      // registered epoll events, or kNone
    std::vector<IoHandler*> handlers_;                         // handler descriptors, by number
    std::vector<Millis> scheduled_;                            // earliest timer entry per fd
    std::vector<int> woken_;                                   // connections to advance again
    std::unordered_map<pid_t, ChildObserver*> children_;
    std::vector<Ticker*> tickers_;
    std::size_t connection_count_ = 0;
    std::size_t reported_count_ = 0;
    // The dispatcher counts its hand-offs; a report is due when the count changed or when
    // connections came (and may have gone) since the last one, so its estimate is corrected.
    std::size_t adopted_since_report_ = 0;
    bool report_due() const {
        return connection_count_ != reported_count_ || adopted_since_report_ != 0;
    }
    Millis last_report_ = 0;
    using TimerEntry = std::tuple<Millis, int>;
    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
    std::vector<std::byte> message_buffer_;
    bool stopping_ = false;
    bool done_ = false;
    // Declared last: the pool and the router outlive no connection, and the pool stops its
    // applications while the loop is still whole.
    std::unique_ptr<AppPool> app_pool_;
    Router router_;
};

}  // namespace bulkhead::worker
