#include "worker/fastcgi_handler.hpp"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>

#include "base/log.hpp"
#include "proto/fastcgi_record.hpp"
#include "worker/app_output.hpp"
#include "worker/stderr_lines.hpp"

namespace bulkhead::worker {
namespace {

namespace fcgi = proto::fastcgi;

constexpr std::uint16_t kRequestId = 1;  // one request per connection at a time
constexpr std::size_t kStdinRecordBytes = 32 * 1024;
constexpr std::size_t kMaxUnsentBytes = 128 * 1024;  // request records queued for the app
constexpr std::size_t kReadBytes = 64 * 1024;
constexpr int kReadsPerWakeup = 8;

class FastCgiResponder final : public Responder, public AppWaiter, public IoHandler {
  public:
    FastCgiResponder(const Site& site, Reactor& reactor, AppPool& pool, Exchange& exchange,
                     std::string what)
        : site_(site),
          reactor_(reactor),
          pool_(pool),
          exchange_(exchange),
          what_(std::move(what)),
          output_(exchange),
          stderr_lines_(what_) {}
    ~FastCgiResponder() override;

    bool begin_request(const ScriptRoute& route, ResponsePlan& error);

    void on_exchange_ready() override;
    Millis deadline() const override { return finished_ ? kNever : deadline_; }
    void on_deadline() override;
    void on_app_ready(AppLease lease) override;
    void on_app_down() override;
    void on_io(int fd, std::uint32_t events) override;

  private:
    void use(AppLease lease);
    void pump();
    void fill_stdin();
    bool write_out();
    bool read_in();
    bool handle_record(const fcgi::Record& record);
    void end_request(const fcgi::Record& record);
    bool can_read() const;
    bool has_more_to_send() const;
    void update_interest();
    void after_output();
    void fail(int status, const std::string& why);
    void give_back(bool reusable);
    int socket() const { return lease_.socket.get(); }

    const Site& site_;
    Reactor& reactor_;
    AppPool& pool_;
    Exchange& exchange_;
    std::string what_;
    AppLease lease_;
    bool leased_ = false;
    bool queued_ = false;
    bool finished_ = false;  // the application's part is over (or abandoned)
    bool stdin_ended_ = false;
    std::uint32_t interest_ = 0;
    std::string out_;  // records for the application
    std::size_t out_sent_ = 0;
    ByteQueue in_;  // bytes from the application, up to the next whole record
    Millis deadline_ = kNever;
    AppOutput output_;
    StderrLines stderr_lines_;
};

FastCgiResponder::~FastCgiResponder() {
    if (queued_)
        pool_.cancel(*this);
    if (leased_)
        give_back(false);  // mid-request: the connection cannot carry another
}

bool FastCgiResponder::begin_request(const ScriptRoute& route, ResponsePlan& error) {
    fcgi::append_begin_request(out_, kRequestId, fcgi::Role::responder, true);
    std::string params;
    for (const auto& [name, value] : script_meta_variables(site_, route, exchange_.request())) {
        fcgi::append_name_value(params, name, value);
    }
    fcgi::append_stream(out_, fcgi::RecordType::params, kRequestId, params);
    fcgi::append_stream(out_, fcgi::RecordType::params, kRequestId, "");
    deadline_ = monotonic_ms() + site_.fastcgi->timeout_ms;
    AppLease lease;
    switch (pool_.acquire(*this, lease)) {
        case AppPool::Acquired::ready:
            use(std::move(lease));
            pump();
            return true;
        case AppPool::Acquired::queued:
            queued_ = true;
            return true;
        case AppPool::Acquired::down:
            error = error_response(503, "Retry-After: 1\r\n");
            return false;
    }
    return false;
}

void FastCgiResponder::use(AppLease lease) {
    lease_ = std::move(lease);
    leased_ = true;
    queued_ = false;
    interest_ = 0;
    deadline_ = monotonic_ms() + site_.fastcgi->timeout_ms;
}

void FastCgiResponder::give_back(bool reusable) {
    if (interest_ != 0 || leased_)
        reactor_.unwatch(socket());
    interest_ = 0;
    leased_ = false;
    pool_.release(std::move(lease_), reusable);
}

void FastCgiResponder::on_app_ready(AppLease lease) {
    use(std::move(lease));
    update_interest();  // the records wait for EPOLLOUT: no I/O inside the pool's call
}

void FastCgiResponder::on_app_down() {
    queued_ = false;
    finished_ = true;
    exchange_.send_error(503, "Retry-After: 1\r\n");
}

void FastCgiResponder::pump() {
    if (!leased_)
        return;
    // Body records out while the application takes them, a bounded amount per wake-up.
    for (int round = 0; round < kReadsPerWakeup; ++round) {
        fill_stdin();
        bool had = out_.size() > out_sent_;
        if (!write_out())
            return;
        if (!had || !out_.empty())
            break;  // nothing to send, or the socket is full
    }
    if (!read_in())
        return;
    if (leased_)
        update_interest();
}

// More request records are waiting to be made and sent.
bool FastCgiResponder::has_more_to_send() const {
    return out_.size() > out_sent_ ||
           (!stdin_ended_ && (!exchange_.body_data().empty() || exchange_.body_complete()));
}

void FastCgiResponder::fill_stdin() {
    while (!stdin_ended_ && out_.size() - out_sent_ < kMaxUnsentBytes) {
        std::span<const std::byte> data = exchange_.body_data();
        if (data.empty()) {
            if (!exchange_.body_complete())
                return;
            fcgi::append_stream(out_, fcgi::RecordType::stdin_stream, kRequestId, "");
            stdin_ended_ = true;
            return;
        }
        std::size_t take = std::min(data.size(), kStdinRecordBytes);
        fcgi::append_stream(out_, fcgi::RecordType::stdin_stream, kRequestId,
                            {reinterpret_cast<const char*>(data.data()), take});
        exchange_.consume_body(take);
    }
}

bool FastCgiResponder::write_out() {
    while (out_sent_ < out_.size()) {
        ssize_t sent = send(socket(), out_.data() + out_sent_, out_.size() - out_sent_,
                            MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent > 0) {
            out_sent_ += static_cast<std::size_t>(sent);
        } else if (errno == EAGAIN) {
            break;
        } else if (errno != EINTR) {
            fail(502, "lost the connection to the application while sending the request (" +
                          log::errno_text(errno) + ")");
            return false;
        }
    }
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
    }
    return true;
}

bool FastCgiResponder::can_read() const {
    return leased_ && (output_.wants_more() || output_.state() == AppOutput::State::done);
}

// Parses what has arrived, then reads more, while the client keeps up. False once the request
// has ended (well or not) and the lease is gone.
bool FastCgiResponder::read_in() {
    for (int reads = 0; can_read();) {
        fcgi::Record record;
        auto outcome = fcgi::parse_record(in_.bytes(), record);
        if (outcome.status == proto::ParseStatus::complete) {
            bool going_on = handle_record(record);  // its content still points into in_
            in_.consume(outcome.consumed);
            if (!going_on)
                return false;
            continue;
        }
        if (outcome.status == proto::ParseStatus::error) {
            fail(502, "malformed FastCGI record: " + std::string(fcgi::describe(outcome.error)));
            return false;
        }
        if (reads++ == kReadsPerWakeup)
            break;
        std::span<char> room = in_.prepare(kReadBytes);
        ssize_t got = recv(socket(), room.data(), room.size(), MSG_DONTWAIT);
        in_.commit(room.size(), static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
        if (got > 0) {
            deadline_ = monotonic_ms() + site_.fastcgi->timeout_ms;
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        fail(502, got == 0
                      ? "the application closed the connection before ending the request"
                      : "lost the connection to the application (" + log::errno_text(errno) + ")");
        return false;
    }
    return true;
}

bool FastCgiResponder::handle_record(const fcgi::Record& record) {
    if (record.request_id != kRequestId) {
        fail(502, "a FastCGI record for request " + std::to_string(record.request_id));
        return false;
    }
    std::string_view content(reinterpret_cast<const char*>(record.content.data()),
                             record.content.size());
    switch (record.type) {
        case fcgi::RecordType::stdout_stream:
            if (!content.empty() && output_.state() != AppOutput::State::done) {
                output_.feed(record.content);
                after_output();
            }
            return leased_;
        case fcgi::RecordType::stderr_stream:
            stderr_lines_.add(content);
            return true;
        case fcgi::RecordType::end_request:
            end_request(record);
            return false;
        default:
            return true;  // management records: nothing we asked for
    }
}

void FastCgiResponder::end_request(const fcgi::Record& record) {
    fcgi::EndRequest end = fcgi::end_request_body(record.content);
    stderr_lines_.flush();
    if (end.protocol_status != fcgi::ProtocolStatus::request_complete) {
        fail(503, "the application refused the request (protocol status " +
                      std::to_string(static_cast<int>(end.protocol_status)) + ")");
        return;
    }
    bool reusable = stdin_ended_ && out_.empty() && in_.empty();
    finished_ = true;
    give_back(reusable);
    output_.finish();
    if (output_.state() == AppOutput::State::malformed) {
        log::error(what_, ": ", output_.problem(), "; 502 Bad Gateway; its stderr: ",
                   stderr_lines_.tail().empty() ? "(nothing)" : stderr_lines_.tail());
        exchange_.send_error(502);
    }
}

void FastCgiResponder::after_output() {
    if (output_.state() == AppOutput::State::malformed)
        fail(502, output_.problem());
}

void FastCgiResponder::fail(int status, const std::string& why) {
    stderr_lines_.flush();
    std::string said = stderr_lines_.tail().empty() ? "(nothing)" : stderr_lines_.tail();
    log::error(what_, ": ", why, "; its stderr: ", said);
    finished_ = true;
    if (leased_)
        give_back(false);
    exchange_.send_error(status, status == 503 ? "Retry-After: 1\r\n" : "");
}

void FastCgiResponder::update_interest() {
    std::uint32_t wanted = (has_more_to_send() ? std::uint32_t{EPOLLOUT} : 0u) |
                           (can_read() ? std::uint32_t{EPOLLIN} : 0u);
    if (wanted == interest_ && interest_ != 0)
        return;
    reactor_.watch(socket(), wanted, *this);
    interest_ = wanted;
}

void FastCgiResponder::on_exchange_ready() {
    if (finished_) {
        output_.pump();
        return;
    }
    output_.pump();
    pump();
}

void FastCgiResponder::on_io(int, std::uint32_t) {
    pump();
}

void FastCgiResponder::on_deadline() {
    finished_ = true;
    if (queued_) {
        pool_.cancel(*this);
        queued_ = false;
        log::warning(what_, ": no application process free within ", site_.fastcgi->timeout_ms,
                     " ms (site.fastcgi.timeout)");
        exchange_.send_error(503, "Retry-After: 1\r\n");
        return;
    }
    log::error(what_, ": no answer from the application within ", site_.fastcgi->timeout_ms,
               " ms (site.fastcgi.timeout)");
    if (leased_) {
        reactor_.unwatch(socket());
        interest_ = 0;
        leased_ = false;
        pool_.give_up(std::move(lease_));
    }
    exchange_.send_error(504);
}

}  // namespace

std::unique_ptr<Responder> start_fastcgi(const Site& site, Reactor& reactor, AppPool& pool,
                                         const ScriptRoute& route, Exchange& exchange,
                                         ResponsePlan& error) {
    auto responder = std::make_unique<FastCgiResponder>(
        site, reactor, pool, exchange, "fastcgi " + printable_for_log(route.script_name));
    if (!responder->begin_request(route, error))
        return nullptr;
    return responder;
}

}  // namespace bulkhead::worker
