#include "worker/app_pool.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.hpp"
#include "worker/child_process.hpp"

namespace bulkhead::worker {
namespace {

constexpr const char* kSocketPrefix = ".bulkhead-fastcgi-";
constexpr int kBacklog = 128;
constexpr Millis kYoungMs = 1000;  // an exit sooner than this after start is a crash loop
constexpr Millis kFirstBackoffMs = 100;
constexpr Millis kMaxBackoffMs = 10'000;
constexpr Millis kExternalIdleMs = 2000;  // keep an idle external connection this long
constexpr Millis kStopGraceMs = 2000;

std::string exit_text(int status) {
    if (WIFEXITED(status))
        return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "signal " + std::to_string(WTERMSIG(status));
    return "ended";
}

bool fill_address(sockaddr_un& address, const std::string& path) {
    address = {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        return false;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return true;
}

// A non-blocking connection to a Unix socket, or the errno. EAGAIN: its backlog is full.
int connect_unix(const std::string& path, UniqueFd& socket_out) {
    sockaddr_un address;
    if (!fill_address(address, path))
        return ENAMETOOLONG;
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        return errno;
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return errno;
    socket_out = std::move(fd);
    return 0;
}

bool is_php_cgi(const std::string& program) {
    std::string_view name(program);
    name.remove_prefix(name.rfind('/') + 1);
    return name.starts_with("php-cgi");
}

// Sockets of workers that are gone (a crash leaves them behind): nobody accepts on them.
void remove_stale_sockets() {
    DIR* directory = opendir("/tmp");
    if (directory == nullptr)
        return;
    while (dirent* entry = readdir(directory)) {
        std::string name = entry->d_name;
        if (!name.starts_with(kSocketPrefix) || !name.ends_with(".sock"))
            continue;
        UniqueFd probe;
        if (connect_unix("/tmp/" + name, probe) == ECONNREFUSED)
            unlink(("/tmp/" + name).c_str());
    }
    closedir(directory);
}

}  // namespace

AppPool::AppPool(const Site& site, Reactor& reactor)
    : site_(site), settings_(*site.fastcgi), reactor_(reactor) {}

AppPool::~AppPool() {
    stop();
}

void AppPool::start() {
    if (started_)
        return;
    started_ = true;
    reactor_.add_ticker(*this);
    if (!spawned())
        return;
    null_device_.reset(open("/dev/null", O_RDWR | O_CLOEXEC));
    remove_stale_sockets();
    slots_.resize(settings_.processes);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        slot.path = "/tmp/" + std::string(kSocketPrefix) + std::to_string(site_.worker_id) + "-" +
                    std::to_string(i) + ".sock";
        if (open_listener(slot))
            spawn_slot(slot);
    }
}

bool AppPool::open_listener(Slot& slot) {
    sockaddr_un address;
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    bool ok = fd && fill_address(address, slot.path);
    if (ok) {
        unlink(slot.path.c_str());
        ok = bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
             chmod(slot.path.c_str(), 0600) == 0 && listen(fd.get(), kBacklog) == 0;
    }
    if (!ok) {
        log::error("fastcgi: cannot listen on ", slot.path, ": ", log::errno_text(errno));
        return false;
    }
    slot.listener = std::move(fd);
    return true;
}

std::vector<std::string> AppPool::application_arguments() const {
    std::vector<std::string> arguments = settings_.command;
    if (is_php_cgi(arguments.front())) {
        // PHP's defaults point at directories the site may not write; its private /tmp it may.
        // Inserted first, so the site's own -d options still win.
        const char* defaults[] = {"-d", "session.save_path=/tmp", "-d", "upload_tmp_dir=/tmp",
                                  "-d", "sys_temp_dir=/tmp"};
        arguments.insert(arguments.begin() + 1, std::begin(defaults), std::end(defaults));
    }
    return arguments;
}

std::vector<std::string> AppPool::application_environment() const {
    std::vector<std::string> environment = {"PATH=/usr/local/bin:/usr/bin:/bin", "TMPDIR=/tmp"};
    if (is_php_cgi(settings_.command.front())) {
        // One process per slot, never retired after a number of requests (php-cgi's default
        // is 500): supervision and concurrency are ours.
        environment.emplace_back("PHP_FCGI_CHILDREN=0");
        environment.emplace_back("PHP_FCGI_MAX_REQUESTS=0");
    }
    return environment;
}

void AppPool::spawn_slot(Slot& slot) {
    slot.restart_at = kNever;
    slot.killed = false;
    SpawnPlan plan;
    plan.program = settings_.command.front();
    plan.arguments = application_arguments();
    plan.environment = application_environment();
    plan.directory = site_.root;
    plan.stdin_fd = slot.listener.get();  // FCGI_LISTENSOCK_FILENO
    plan.stdout_fd = null_device_.get();
    plan.stderr_fd = STDERR_FILENO;  // the site's error log
    auto pid = spawn(plan);
    Millis now = monotonic_ms();
    if (!pid) {
        log::error("fastcgi: cannot start ", plan.program, ": ", log::errno_text(pid.error()));
        slot.quick_exits++;
        slot.restart_at =
            now + std::min(kMaxBackoffMs, kFirstBackoffMs << std::min(slot.quick_exits, 7));
        return;
    }
    slot.pid = *pid;
    slot.started = now;
    reactor_.watch_child(slot.pid, *this);
    log::info("fastcgi: started ", plan.program, " as pid ", slot.pid, " on ", slot.path);
}

void AppPool::stop() {
    if (stopping_)
        return;
    stopping_ = true;
    for (AppWaiter* waiter : std::exchange(waiting_, {}))
        waiter->on_app_down();
    std::vector<pid_t> running;
    for (Slot& slot : slots_) {
        if (slot.idle)
            reactor_.unwatch(slot.idle.get());
        slot.idle.reset();
        if (slot.pid > 0) {
            reactor_.forget_child(slot.pid);
            kill(slot.pid, SIGTERM);
            running.push_back(slot.pid);
        }
        if (slot.listener)
            unlink(slot.path.c_str());
        slot.listener.reset();
    }
    for (IdleConnection& idle : external_idle_)
        reactor_.unwatch(idle.socket.get());
    external_idle_.clear();
    // Wait for them here: the worker is about to exit and must leave nothing behind.
    Millis give_up = monotonic_ms() + kStopGraceMs;
    while (!running.empty() && monotonic_ms() < give_up) {
        std::erase_if(running, [](pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == pid; });
        if (!running.empty())
            usleep(10'000);
    }
    for (pid_t pid : running) {
        kill_group(pid);
        waitpid(pid, nullptr, 0);
    }
}

bool AppPool::any_alive() const {
    return std::any_of(slots_.begin(), slots_.end(), [](const Slot& slot) { return slot.pid > 0; });
}

std::optional<AppLease> AppPool::lease_spawned() {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        if (slot.pid <= 0 || slot.busy)
            continue;
        AppLease lease;
        lease.slot = static_cast<int>(i);
        if (slot.idle) {
            reactor_.unwatch(slot.idle.get());
            lease.socket = std::move(slot.idle);
        } else if (int error = connect_unix(slot.path, lease.socket); error != 0) {
            log::warning("fastcgi: cannot connect to ", slot.path, ": ", log::errno_text(error));
            continue;
        }
        slot.busy = true;
        return lease;
    }
    return std::nullopt;
}

std::optional<AppLease> AppPool::lease_external(bool& down) {
    down = false;
    AppLease lease;
    if (!external_idle_.empty()) {
        lease.socket = std::move(external_idle_.back().socket);
        external_idle_.pop_back();
        reactor_.unwatch(lease.socket.get());
    } else if (external_active_ >= settings_.processes) {
        return std::nullopt;
    } else if (int error = connect_unix(settings_.socket, lease.socket); error != 0) {
        log::warning("fastcgi: cannot connect to ", settings_.socket, ": ", log::errno_text(error));
        down = true;
        return std::nullopt;
    }
    ++external_active_;
    return lease;
}

AppPool::Acquired AppPool::acquire(AppWaiter& waiter, AppLease& lease) {
    if (stopping_)
        return Acquired::down;
    start();  // the first request that needs the applications starts them
    std::optional<AppLease> granted;
    bool down = false;
    if (spawned()) {
        granted = waiting_.empty() ? lease_spawned() : std::nullopt;
        down = !granted && !any_alive();
    } else {
        granted = waiting_.empty() ? lease_external(down) : std::nullopt;
    }
    if (granted) {
        lease = std::move(*granted);
        return Acquired::ready;
    }
    if (down)
        return Acquired::down;
    waiting_.push_back(&waiter);
    return Acquired::queued;
}

void AppPool::cancel(AppWaiter& waiter) {
    std::erase(waiting_, &waiter);
}

void AppPool::keep_idle(UniqueFd& into, UniqueFd socket) {
    into = std::move(socket);
    // Readable while idle means the application closed it (or broke the protocol): drop it.
    reactor_.watch(into.get(), EPOLLIN, *this);
}

void AppPool::release(AppLease lease, bool reusable) {
    reusable = reusable && !stopping_;
    if (lease.slot >= 0) {
        Slot& slot = slots_[static_cast<std::size_t>(lease.slot)];
        slot.busy = false;
        if (reusable && slot.pid > 0)
            keep_idle(slot.idle, std::move(lease.socket));
    } else {
        --external_active_;
        if (reusable) {
            external_idle_.push_back({UniqueFd(), monotonic_ms()});
            keep_idle(external_idle_.back().socket, std::move(lease.socket));
        }
    }
    grant_waiting();
}

void AppPool::give_up(AppLease lease) {
    if (lease.slot >= 0) {
        Slot& slot = slots_[static_cast<std::size_t>(lease.slot)];
        if (slot.pid > 0) {
            slot.killed = true;
            kill_group(slot.pid);  // its exit is reported like any other; then it is replaced
        }
    }
    release(std::move(lease), false);
}

void AppPool::grant_waiting() {
    while (!waiting_.empty() && !stopping_) {
        bool down = false;
        std::optional<AppLease> lease = spawned() ? lease_spawned() : lease_external(down);
        if (!lease) {
            if (down)
                fail_waiting();
            return;
        }
        AppWaiter* waiter = waiting_.front();
        waiting_.pop_front();
        waiter->on_app_ready(std::move(*lease));
    }
}

void AppPool::fail_waiting() {
    for (AppWaiter* waiter : std::exchange(waiting_, {}))
        waiter->on_app_down();
}

void AppPool::on_io(int fd, std::uint32_t) {
    for (Slot& slot : slots_) {
        if (slot.idle && slot.idle.get() == fd) {
            reactor_.unwatch(fd);
            slot.idle.reset();
            return;
        }
    }
    auto idle = std::find_if(external_idle_.begin(), external_idle_.end(),
                             [fd](const IdleConnection& c) { return c.socket.get() == fd; });
    if (idle != external_idle_.end()) {
        reactor_.unwatch(fd);
        external_idle_.erase(idle);
    }
}

void AppPool::on_child_exit(pid_t pid, int wait_status) {
    auto slot =
        std::find_if(slots_.begin(), slots_.end(), [pid](const Slot& s) { return s.pid == pid; });
    if (slot == slots_.end())
        return;
    kill_group(pid);  // anything it forked itself
    Millis now = monotonic_ms();
    bool young = now - slot->started < kYoungMs && !slot->killed;
    slot->pid = 0;
    if (slot->idle)
        reactor_.unwatch(slot->idle.get());
    slot->idle.reset();
    if (stopping_)
        return;
    log::warning("fastcgi: application pid ", pid, " ended (", exit_text(wait_status), "); ",
                 young ? "restarting after a back-off" : "restarting");
    slot->quick_exits = young ? slot->quick_exits + 1 : 0;
    if (!young) {
        spawn_slot(*slot);
        grant_waiting();
    } else {
        slot->restart_at =
            now + std::min(kMaxBackoffMs, kFirstBackoffMs << std::min(slot->quick_exits, 7));
    }
    if (!any_alive())
        fail_waiting();
}

Millis AppPool::next_tick() const {
    Millis next = kNever;
    for (const Slot& slot : slots_)
        next = std::min(next, slot.restart_at);
    if (!external_idle_.empty())
        next = std::min(next, external_idle_.front().since + kExternalIdleMs);
    return next;
}

void AppPool::on_tick(Millis now) {
    for (Slot& slot : slots_) {
        if (slot.restart_at <= now && slot.pid == 0 && !stopping_)
            spawn_slot(slot);
    }
    while (!external_idle_.empty() && external_idle_.front().since + kExternalIdleMs <= now) {
        reactor_.unwatch(external_idle_.front().socket.get());
        external_idle_.erase(external_idle_.begin());
    }
    grant_waiting();
}

}  // namespace bulkhead::worker
