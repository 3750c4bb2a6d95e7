#include "worker/cgi_handler.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "worker/app_output.hpp"
#include "worker/child_process.hpp"
#include "worker/stderr_lines.hpp"

namespace bulkhead::worker {
namespace {

constexpr std::size_t kReadBytes = 64 * 1024;
constexpr int kReadsPerWakeup = 8;  // then let other connections have their turn
constexpr Millis kFailureGraceMs = 500;
constexpr const char* kScriptPath = "PATH=/usr/local/bin:/usr/bin:/bin";

std::string describe_exit(int status) {
    if (WIFEXITED(status))
        return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "ended";
}

bool set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// A pipe whose `parent` end is non-blocking and whose `child` end is left blocking.
struct Pipe {
    UniqueFd parent;
    UniqueFd child;
};
bool make_pipe(Pipe& pipe, bool parent_reads) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0)
        return false;
    UniqueFd read_end(ends[0]);
    UniqueFd write_end(ends[1]);
    pipe.parent = parent_reads ? std::move(read_end) : std::move(write_end);
    pipe.child = parent_reads ? std::move(write_end) : std::move(read_end);
    return set_nonblocking(pipe.parent.get());
}

ResponsePlan spawn_failure(int error, const std::string& what) {
    switch (error) {
        case EACCES:
        case EPERM:
            log::warning(what, ": not executable: ", log::errno_text(error));
            return error_response(403);
        case EAGAIN:
        case ENOMEM:
        case EMFILE:
        case ENFILE:
            log::warning(what, ": cannot start: ", log::errno_text(error));
            return error_response(503, "Retry-After: 1\r\n");
        default:  // ENOENT (its interpreter), ENOEXEC (no "#!" line), ...
            log::error(what, ": cannot execute: ", log::errno_text(error));
            return error_response(500);
    }
}

class CgiResponder final : public Responder, public IoHandler, public ChildObserver {
  public:
    CgiResponder(const Site& site, Reactor& reactor, Exchange& exchange, std::string what)
        : site_(site),
          reactor_(reactor),
          exchange_(exchange),
          what_(std::move(what)),
          output_(exchange),
          stderr_lines_(what_) {}
    ~CgiResponder() override;

    bool launch(const ScriptRoute& route, ResponsePlan& error);

    void on_exchange_ready() override;
    Millis deadline() const override;
    void on_deadline() override;
    void on_io(int fd, std::uint32_t events) override;
    void on_child_exit(pid_t pid, int wait_status) override;

  private:
    SpawnPlan plan_for(const ScriptRoute& route, int stdin_fd, int stdout_fd, int stderr_fd) const;
    void pump_stdin();
    void pump_stdout();
    void read_stderr();
    void after_output();
    void fail(const std::string& why);
    void report_failure(bool answer = true);
    void finish();
    void close_pipe(UniqueFd& fd);
    bool waiting_on_client() const;
    void track_client_wait();

    const Site& site_;
    Reactor& reactor_;
    Exchange& exchange_;
    std::string what_;  // "cgi /dir/app.cgi", for the log
    pid_t pid_ = 0;
    bool exited_ = false;
    int exit_status_ = 0;
    UniqueFd stdin_;
    UniqueFd stdout_;
    UniqueFd stderr_;
    bool stdout_watched_ = false;
    bool discard_body_ = false;
    bool finished_ = false;
    std::string failure_;  // why the answer is a 502, logged once its stderr is complete
    Millis deadline_ = kNever;
    Millis waiting_since_ = kNever;  // the script waits for the client since then
    AppOutput output_;
    StderrLines stderr_lines_;
};

CgiResponder::~CgiResponder() {
    if (!failure_.empty())
        report_failure(false);
    close_pipe(stdin_);
    close_pipe(stdout_);
    close_pipe(stderr_);
    if (pid_ > 0) {
        if (!exited_)
            kill_group(pid_);  // the client left, or the script outlived its output
        reactor_.forget_child(pid_);
    }
}

SpawnPlan CgiResponder::plan_for(const ScriptRoute& route, int stdin_fd, int stdout_fd,
                                 int stderr_fd) const {
    SpawnPlan plan;
    plan.program = site_.root + "/" + route.relative;
    plan.directory = plan.program.substr(0, plan.program.rfind('/'));
    plan.arguments = {plan.program};
    for (auto& [name, value] : script_meta_variables(site_, route, exchange_.request())) {
        plan.environment.push_back(name + "=" + value);
    }
    plan.environment.emplace_back(kScriptPath);
    plan.stdin_fd = stdin_fd;
    plan.stdout_fd = stdout_fd;
    plan.stderr_fd = stderr_fd;
    return plan;
}

bool CgiResponder::launch(const ScriptRoute& route, ResponsePlan& error) {
    Pipe in, out, err;
    bool has_body = exchange_.request().has_body();
    if (!has_body)
        in.child.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if ((has_body ? !make_pipe(in, false) : !in.child) || !make_pipe(out, true) ||
        !make_pipe(err, true)) {
        error = spawn_failure(errno, what_);
        return false;
    }
    auto pid = spawn(plan_for(route, in.child.get(), out.child.get(), err.child.get()));
    if (!pid) {
        error = spawn_failure(pid.error(), what_);
        return false;
    }
    pid_ = *pid;
    reactor_.watch_child(pid_, *this);
    stdin_ = std::move(in.parent);
    stdout_ = std::move(out.parent);
    stderr_ = std::move(err.parent);
    deadline_ = monotonic_ms() + site_.cgi->timeout_ms;
    reactor_.watch(stderr_.get(), EPOLLIN, *this);
    pump_stdin();
    pump_stdout();
    track_client_wait();
    return true;
}

// site.cgi.timeout bounds the script's own time, not the client's: while its output waits for a
// slow reader, or its input for a slow uploader, the clock stands still (the connection's own
// timeouts bound the client). A download of any size to a slow client is not cut off.
bool CgiResponder::waiting_on_client() const {
    bool output_blocked = stdout_ && !output_.wants_more();
    bool input_starved = stdin_ && exchange_.body_data().empty() && !exchange_.body_complete();
    return output_blocked || input_starved;
}

void CgiResponder::track_client_wait() {
    Millis now = monotonic_ms();
    bool waiting = waiting_on_client();
    if (waiting && waiting_since_ == kNever) {
        waiting_since_ = now;
    } else if (!waiting && waiting_since_ != kNever) {
        deadline_ += now - waiting_since_;
        waiting_since_ = kNever;
    }
}

Millis CgiResponder::deadline() const {
    if (!failure_.empty())
        return deadline_;  // the grace for its stderr, whatever the client does
    if (finished_ || waiting_since_ != kNever)
        return kNever;
    return deadline_;
}

void CgiResponder::close_pipe(UniqueFd& fd) {
    if (!fd)
        return;
    reactor_.unwatch(fd.get());
    fd.reset();
}

void CgiResponder::pump_stdin() {
    if (discard_body_) {
        exchange_.consume_body(exchange_.body_data().size());
        return;
    }
    while (stdin_) {
        std::span<const std::byte> data = exchange_.body_data();
        if (data.empty()) {
            if (exchange_.body_complete()) {
                close_pipe(stdin_);  // EOF: the script has the whole body
            } else {
                reactor_.watch(stdin_.get(), 0, *this);
            }
            return;
        }
        ssize_t wrote = write(stdin_.get(), data.data(), std::min(data.size(), kReadBytes));
        if (wrote > 0) {
            exchange_.consume_body(static_cast<std::size_t>(wrote));
        } else if (errno == EAGAIN) {
            reactor_.watch(stdin_.get(), EPOLLOUT, *this);
            return;
        } else if (errno != EINTR) {
            // The script closed its standard input: the rest of the body is not wanted.
            close_pipe(stdin_);
            discard_body_ = true;
            exchange_.consume_body(exchange_.body_data().size());
            return;
        }
    }
}

void CgiResponder::pump_stdout() {
    static char buffer[kReadBytes];
    for (int i = 0; i < kReadsPerWakeup && stdout_ && output_.wants_more(); ++i) {
        ssize_t got = read(stdout_.get(), buffer, sizeof buffer);
        if (got > 0) {
            output_.feed(
                {reinterpret_cast<const std::byte*>(buffer), static_cast<std::size_t>(got)});
            after_output();
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
            break;
        close_pipe(stdout_);  // EOF: every writer is gone
        output_.finish();
        after_output();
    }
    bool wanted = stdout_ && output_.wants_more();
    if (stdout_ && wanted != stdout_watched_)
        reactor_.watch(stdout_.get(), wanted ? std::uint32_t{EPOLLIN} : 0u, *this);
    stdout_watched_ = stdout_ && wanted;
}

void CgiResponder::read_stderr() {
    static char buffer[8192];
    for (int i = 0; i < kReadsPerWakeup && stderr_; ++i) {
        ssize_t got = read(stderr_.get(), buffer, sizeof buffer);
        if (got > 0) {
            stderr_lines_.add(std::string_view(buffer, static_cast<std::size_t>(got)));
        } else if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        } else {
            close_pipe(stderr_);
            stderr_lines_.flush();
            if (!failure_.empty())
                report_failure();
        }
    }
}

void CgiResponder::after_output() {
    if (finished_)
        return;
    if (output_.state() == AppOutput::State::malformed)
        return fail(output_.problem());
    if (output_.state() == AppOutput::State::done)
        finish();
}

// What the script says on stderr explains its failure, and it may still be saying it: the
// 502 waits for its stderr to close (it exits), at most kFailureGraceMs.
void CgiResponder::fail(const std::string& why) {
    failure_ = why;
    finish();
    deadline_ = std::min(deadline_, monotonic_ms() + kFailureGraceMs);
    read_stderr();
    if (!stderr_)
        report_failure();
}

void CgiResponder::report_failure(bool answer) {
    stderr_lines_.flush();
    std::string exit = exited_ ? ", " + describe_exit(exit_status_) : "";
    std::string said = stderr_lines_.tail().empty() ? "(nothing)" : stderr_lines_.tail();
    log::error(what_, ": ", failure_, exit, "; 502 Bad Gateway; its stderr: ", said);
    failure_.clear();
    if (!exited_)
        kill_group(pid_);
    close_pipe(stderr_);
    if (answer)
        exchange_.send_error(502);
}

// The response is decided; nothing more is read from the script. The destructor stops it.
void CgiResponder::finish() {
    finished_ = true;
    close_pipe(stdin_);
    close_pipe(stdout_);
    stdout_watched_ = false;
}

void CgiResponder::on_exchange_ready() {
    pump_stdin();
    if (finished_)
        return;
    output_.pump();
    after_output();
    if (!stdout_watched_)
        pump_stdout();
    track_client_wait();
}

void CgiResponder::on_deadline() {
    if (!failure_.empty())
        return report_failure();
    log::error(what_, ": still running after ", site_.cgi->timeout_ms,
               " ms of its own (site.cgi.timeout); killed its process group");
    if (!exited_)
        kill_group(pid_);
    finish();
    exchange_.send_error(504);
}

void CgiResponder::on_io(int fd, std::uint32_t) {
    if (stdin_ && fd == stdin_.get())
        pump_stdin();
    if (stdout_ && fd == stdout_.get())
        pump_stdout();
    if (stderr_ && fd == stderr_.get())
        read_stderr();
    track_client_wait();
}

void CgiResponder::on_child_exit(pid_t pid, int wait_status) {
    exited_ = true;
    exit_status_ = wait_status;
    // Whatever it left running in its group goes with it: nothing outlives the request, and
    // a background child holding its stdout open cannot stall the response.
    kill_group(pid);
    bool clean = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    if (!clean && !finished_)
        log::warning(what_, ": ", describe_exit(wait_status));
}

}  // namespace

std::unique_ptr<Responder> start_cgi(const Site& site, Reactor& reactor, const ScriptRoute& route,
                                     Exchange& exchange, ResponsePlan& error) {
    auto responder = std::make_unique<CgiResponder>(site, reactor, exchange,
                                                    "cgi " + printable_for_log(route.script_name));
    if (!responder->launch(route, error))
        return nullptr;
    return responder;
}

}  // namespace bulkhead::worker
