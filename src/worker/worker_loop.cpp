#include "worker/worker_loop.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include "base/log.hpp"
#include "base/signals.hpp"
#include "ipc/dispatcher_worker.hpp"
#include "ipc/fd_numbers.hpp"
#include "worker/http2_session.hpp"
#include "worker/tls_transport.hpp"

namespace bulkhead::worker {
namespace {

constexpr int kMaxEvents = 256;
constexpr Millis kLoadReportIntervalMs = 20;
constexpr Millis kHeartbeatMs = 1000;

}  // namespace

WorkerLoop::WorkerLoop(Site& site, const StaticFiles& files, TlsContext* tls,
                       int dispatcher_channel, int access_log_fd)
    : site_(site),
      tls_(tls),
      dispatcher_(dispatcher_channel),
      access_log_(access_log_fd),
      // SIGCHLD: the site programs this worker runs (CGI scripts, FastCGI applications).
      signals_(block_into_signalfd({SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGPIPE, SIGCHLD})),
      message_buffer_(sizeof(ipc::Handoff) + ipc::kMaxCarriedBytes),
      app_pool_(site.fastcgi ? std::make_unique<AppPool>(site, *this) : nullptr),
      router_(site, files, *this, app_pool_.get()) {}

// Connections first (their handlers hold leases of the pool), then the applications.
WorkerLoop::~WorkerLoop() {
    for (std::size_t fd = 0; fd < connections_.size(); ++fd) {
        if (connections_[fd])
            close_connection(static_cast<int>(fd));
    }
    if (app_pool_)
        app_pool_->stop();
    access_log_.flush();
}

int WorkerLoop::wait_timeout() const {
    if (!woken_.empty())
        return 0;
    Millis now = monotonic_ms();
    Millis next = now + 1000;
    if (!timers_.empty())
        next = std::min(next, std::get<0>(timers_.top()));
    for (const Ticker* ticker : tickers_)
        next = std::min(next, ticker->next_tick());
    int timeout = static_cast<int>(std::clamp<Millis>(next - now, 0, 1000));
    if (report_due() && !stopping_) {
        timeout = std::min(timeout, static_cast<int>(kLoadReportIntervalMs));
    }
    return timeout;
}

int WorkerLoop::run() {
    epoll_.add(dispatcher_, EPOLLIN, token(Kind::dispatcher, dispatcher_));
    epoll_.add(ipc::fds::kWorkerMaster, EPOLLIN, token(Kind::master, ipc::fds::kWorkerMaster));
    epoll_.add(signals_.get(), EPOLLIN, token(Kind::signals, signals_.get()));
    // The application pool starts on the first request that needs it (AppPool::acquire): a
    // worker woken for a static file does not wait for php-cgi.
    // The first load report says "ready": until it arrives the dispatcher routes nothing here,
    // so a worker that cannot start (a missing document root) loses no connection.
    ipc::WorkerLoad ready;
    auto announced = ipc::send_datagram(dispatcher_, ipc::bytes_of(ready));
    (void)announced;  // if the channel is gone, the loop notices it at once
    epoll_event events[kMaxEvents];
    while (!done_) {
        int count = epoll_.wait(events, wait_timeout());
        for (int i = 0; i < count; ++i)
            dispatch(events[i]);
        drive_woken();
        expire_deadlines();
        run_tickers();
        drive_woken();
        access_log_.flush();
        report_load();
        if (stopping_ && connection_count_ == 0) {
            // A hand-off may still sit in the channel (sent just before the stop): take it,
            // or its client would see the connection close unanswered.
            on_dispatcher_message();
            done_ = connection_count_ == 0;
        }
    }
    access_log_.flush();
    return 0;
}

void WorkerLoop::dispatch(const epoll_event& event) {
    int fd = static_cast<int>(event.data.u64 & 0xffffffff);
    switch (static_cast<Kind>(event.data.u64 >> 32)) {
        case Kind::dispatcher:
            on_dispatcher_message();
            break;
        case Kind::signals:
            on_signal();
            break;
        case Kind::master:
            on_master_message();
            break;
        case Kind::connection:
            if (fd < static_cast<int>(connections_.size()) && connections_[fd]) {
                ClientSession::Verdict verdict = connections_[fd]->advance();
                // Hung up or reset while we were not reading it (waiting for a handler):
                // level-triggered, it would wake us forever.
                if (verdict == ClientSession::Verdict::keep &&
                    (event.events & (EPOLLERR | EPOLLHUP)))
                    verdict = ClientSession::Verdict::close;
                drive(fd, verdict);
            }
            break;
        case Kind::handler:
            // A descriptor closed and reused within this batch may see a stale event: the
            // handlers use non-blocking calls and take it as "nothing yet".
            if (fd < static_cast<int>(handlers_.size()) && handlers_[fd]) {
                handlers_[fd]->on_io(fd, event.events);
            }
            break;
    }
}

// Connections whose handler produced something (or took body bytes) since they last ran.
void WorkerLoop::drive_woken() {
    for (int round = 0; round < 8 && !woken_.empty(); ++round) {
        std::vector<int> batch;
        batch.swap(woken_);
        std::sort(batch.begin(), batch.end());
        batch.erase(std::unique(batch.begin(), batch.end()), batch.end());
        for (int fd : batch) {
            if (fd < static_cast<int>(connections_.size()) && connections_[fd]) {
                drive(fd, connections_[fd]->advance());
            }
        }
    }
}

void WorkerLoop::run_tickers() {
    Millis now = monotonic_ms();
    for (Ticker* ticker : tickers_) {
        if (ticker->next_tick() <= now)
            ticker->on_tick(now);
    }
}

void WorkerLoop::grow(int fd) {
    if (fd < static_cast<int>(connections_.size()))
        return;
    std::size_t size = static_cast<std::size_t>(fd) + 1;
    connections_.resize(size);
    interest_.resize(size, kNone);
    handlers_.resize(size);
    scheduled_.resize(size);
}

void WorkerLoop::watch(int fd, std::uint32_t events, IoHandler& handler) {
    grow(fd);
    handlers_[fd] = &handler;
    if (interest_[fd] == kNone) {
        epoll_.add(fd, events, token(Kind::handler, fd));
    } else if (interest_[fd] != events) {
        epoll_.modify(fd, events, token(Kind::handler, fd));
    }
    interest_[fd] = events;
}

void WorkerLoop::unwatch(int fd) {
    if (fd < 0 || fd >= static_cast<int>(handlers_.size()))
        return;
    if (interest_[fd] != kNone && !connections_[fd])
        epoll_.remove(fd);
    if (!connections_[fd])
        interest_[fd] = kNone;
    handlers_[fd] = nullptr;
}

void WorkerLoop::wake(int connection_fd) {
    woken_.push_back(connection_fd);
}

void WorkerLoop::watch_child(pid_t pid, ChildObserver& observer) {
    children_[pid] = &observer;
}

void WorkerLoop::forget_child(pid_t pid) {
    children_.erase(pid);
}

void WorkerLoop::add_ticker(Ticker& ticker) {
    tickers_.push_back(&ticker);
}

// Each exited child is reported before it is reaped (waitid with WNOWAIT), so its observer may
// still kill its process group; children nobody watches (a failed exec, orphans this worker
// adopted as their subreaper, a CGI script whose request is gone) are reaped silently.
void WorkerLoop::reap_children() {
    for (int i = 0; i < 1024; ++i) {
        siginfo_t info{};
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
            return;
        pid_t pid = info.si_pid;
        // The wait status waitpid() would give, from the siginfo.
        int status = info.si_code == CLD_EXITED
                         ? (info.si_status & 0xff) << 8
                         : (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
        auto observer = children_.find(pid);
        if (observer != children_.end()) {
            ChildObserver* watcher = observer->second;
            children_.erase(observer);
            watcher->on_child_exit(pid, status);
        }
        waitpid(pid, nullptr, WNOHANG);
    }
}

void WorkerLoop::on_dispatcher_message() {
    for (int i = 0; i < 64; ++i) {  // several handoffs per wakeup, but bounded
        auto datagram = ipc::receive_datagram(dispatcher_, message_buffer_);
        if (!datagram) {
            if (datagram.error() == ipc::ChannelError::would_block)
                return;
            // The master holds the other end across dispatcher restarts; it closing means
            // the master is gone. A malformed message means a broken peer: stop either way.
            log::error("dispatcher channel: ", ipc::describe(datagram.error()), "; stopping");
            epoll_.remove(dispatcher_);
            begin_stop();
            return;
        }
        std::span<const std::byte> bytes(message_buffer_.data(), datagram->size);
        auto handoff = ipc::decode_with_tail<ipc::Handoff>(bytes, datagram->fd.valid());
        if (!handoff) {
            log::error("dispatcher channel: ", ipc::describe(handoff.error()), "; stopping");
            epoll_.remove(dispatcher_);
            begin_stop();
            return;
        }
        std::string carried(reinterpret_cast<const char*>(bytes.data()) + sizeof(ipc::Handoff),
                            handoff->tail_bytes);
        adopt(std::move(datagram->fd), handoff->meta, handoff->flags, std::move(carried));
    }
}

void WorkerLoop::adopt(UniqueFd socket, const ipc::ConnectionMeta& meta, std::uint16_t flags,
                       std::string carried) {
    int fd = socket.get();
    std::unique_ptr<Transport> transport;
    if (flags & ipc::kConnectionTls) {
        if (tls_ == nullptr) {
            // The dispatcher routes TLS only to sites with [site.tls]; never serve it in the clear.
            log::error("a TLS connection arrived, but this site has no [site.tls]; closing it");
            return;
        }
        transport = std::make_unique<TlsTransport>(std::move(socket), tls_->get());
    } else {
        transport = std::make_unique<PlainTransport>(std::move(socket));
    }
    grow(fd);
    connections_[fd] =
        std::make_unique<Connection>(std::move(transport), meta, flags, std::move(carried),
                                     ConnectionContext{site_, router_, access_log_, *this});
    ++connection_count_;
    ++adopted_since_report_;
    interest_[fd] = kNone;
    scheduled_[fd] = 0;
    // Served at once, before registering: the dispatcher saw the whole head, so a short
    // request is often answered and, with "Connection: close", finished without epoll at all.
    ClientSession::Verdict verdict = connections_[fd]->advance();
    if (stopping_ && verdict == ClientSession::Verdict::keep)
        verdict = connections_[fd]->stop_keep_alive();
    drive(fd, verdict);
}

// Applies a connection's verdict: keep (re-arm its events and timer), close, hand back, or
// continue as HTTP/2.
void WorkerLoop::drive(int fd, ClientSession::Verdict verdict) {
    if (verdict == ClientSession::Verdict::switch_h2)
        return switch_to_http2(fd);
    ClientSession& connection = *connections_[fd];
    if (verdict == ClientSession::Verdict::close)
        return close_connection(fd);
    if (verdict == ClientSession::Verdict::handback)
        return hand_back(static_cast<Connection&>(connection));  // only HTTP/1 hands back
    std::uint32_t events = (connection.wants_read() ? std::uint32_t{EPOLLIN | EPOLLRDHUP} : 0u) |
                           (connection.wants_write() ? std::uint32_t{EPOLLOUT} : 0u);
    if (interest_[fd] == kNone) {
        epoll_.add(fd, events, token(Kind::connection, fd));
    } else if (interest_[fd] != events) {
        epoll_.modify(fd, events, token(Kind::connection, fd));
    }
    interest_[fd] = events;
    schedule(connection);
}

void WorkerLoop::hand_back(Connection& connection) {
    int fd = connection.fd();
    std::string carried = connection.unconsumed();
    ipc::Handback handback;
    handback.flags = connection.flags() & ipc::kConnectionTls;  // policy flags stay behind
    handback.meta = connection.meta();
    handback.tail_bytes = static_cast<std::uint32_t>(carried.size());
    std::span<const std::byte> tail(reinterpret_cast<const std::byte*>(carried.data()),
                                    carried.size());
    if (carried.size() > ipc::kMaxCarriedBytes ||
        !ipc::send_datagram(dispatcher_, ipc::bytes_of(handback), tail, fd)) {
        log::warning("could not hand a connection back to the dispatcher; closing it");
    }
    close_connection(fd);
}

void WorkerLoop::close_connection(int fd) {
    if (interest_[fd] != kNone)
        epoll_.remove(fd);
    interest_[fd] = kNone;
    connections_[fd].reset();
    --connection_count_;
}

// ALPN chose h2: the same socket and TLS state continue in an HTTP/2 session.
void WorkerLoop::switch_to_http2(int fd) {
    auto& connection = static_cast<Connection&>(*connections_[fd]);  // only HTTP/1 switches
    ipc::ConnectionMeta meta = connection.meta();
    std::uint16_t flags = connection.flags();
    std::unique_ptr<Transport> transport = connection.take_transport();
    connections_[fd] = std::make_unique<Http2Session>(
        std::move(transport), meta, flags, ConnectionContext{site_, router_, access_log_, *this});
    ClientSession::Verdict verdict = connections_[fd]->advance();
    if (stopping_ && verdict == ClientSession::Verdict::keep)
        verdict = connections_[fd]->stop_keep_alive();
    drive(fd, verdict);
}

void WorkerLoop::schedule(ClientSession& connection) {
    int fd = connection.fd();
    Millis deadline = connection.deadline();
    if (scheduled_[fd] != 0 && scheduled_[fd] <= deadline)
        return;  // an earlier entry will wake us
    scheduled_[fd] = deadline;
    timers_.emplace(deadline, fd);
}

void WorkerLoop::expire_deadlines() {
    Millis now = monotonic_ms();
    while (!timers_.empty() && std::get<0>(timers_.top()) <= now) {
        auto [when, fd] = timers_.top();
        timers_.pop();
        if (fd >= static_cast<int>(connections_.size()) || !connections_[fd] ||
            scheduled_[fd] != when) {
            continue;  // closed, or superseded by an earlier entry
        }
        scheduled_[fd] = 0;
        ClientSession& connection = *connections_[fd];
        if (connection.deadline() > now) {
            schedule(connection);  // the deadline moved on since this entry was made
        } else {
            drive(fd, connection.on_timeout());
        }
    }
}

// Load reports are throttled: the dispatcher counts its own hand-offs between reports, so a
// report per connection would cost a message each way for little better balance.
void WorkerLoop::report_load() {
    if (stopping_)
        return;
    Millis now = monotonic_ms();
    // A report at least every second, changed or not: a dispatcher that was replaced learns
    // within a second that this worker is ready and how loaded it is.
    bool heartbeat = now - last_report_ >= kHeartbeatMs;
    if (!heartbeat && (!report_due() || now - last_report_ < kLoadReportIntervalMs))
        return;
    ipc::WorkerLoad load;
    load.connections = static_cast<std::uint32_t>(connection_count_);
    if (ipc::send_datagram(dispatcher_, ipc::bytes_of(load))) {
        reported_count_ = connection_count_;
        adopted_since_report_ = 0;
        last_report_ = now;
    }
}

void WorkerLoop::on_signal() {
    while (int signal_number = read_signal(signals_.get())) {
        if (signal_number == SIGTERM || signal_number == SIGINT)
            begin_stop();
        if (signal_number == SIGQUIT)
            done_ = true;
        if (signal_number == SIGCHLD)
            reap_children();
    }
}

// Graceful stop: take what the dispatcher already sent, finish every request in flight,
// close idle keep-alive connections. The master's shutdown_timeout bounds how long.
void WorkerLoop::begin_stop() {
    if (stopping_)
        return;
    stopping_ = true;
    for (std::size_t fd = 0; fd < connections_.size(); ++fd) {
        if (connections_[fd])
            drive(static_cast<int>(fd), connections_[fd]->stop_keep_alive());
    }
}

}  // namespace bulkhead::worker
