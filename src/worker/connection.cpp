#include "worker/connection.hpp"

#include <algorithm>

#include "worker/response_head.hpp"

namespace bulkhead::worker {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr Millis kLingerMs = 2000;

std::span<const std::byte> bytes_of(const std::string& text, std::size_t from) {
    return {reinterpret_cast<const std::byte*>(text.data()) + from, text.size() - from};
}

}  // namespace

Connection::Connection(std::unique_ptr<Transport> transport, const ipc::ConnectionMeta& meta,
                       std::uint16_t flags, std::string carried, ConnectionContext context)
    : transport_(std::move(transport)),
      meta_(meta),
      flags_(flags),
      context_(context),
      state_(transport_->encrypted() ? State::handshake : State::head),
      in_(std::move(carried)) {
    head_started_ = monotonic_ms();
    set_deadline(head_started_ + context_.site.header_timeout_ms);
}

Connection::~Connection() {
    // A streamed response that did not finish: the client left, or the answer broke off.
    if (state_ == State::stream)
        context_.access_log.add(record_, stream_.head_sent ? stream_.status : 499,
                                stream_.body_bytes);
}

bool Connection::wants_read() const {
    if (transport_->wants_read())
        return true;
    switch (state_) {
        case State::handshake:
            return !transport_->wants_write();
        case State::head:
        case State::body:
        case State::linger:
            return true;
        case State::write:
            return false;
        case State::stream:
            // Body bytes only while the handler keeps up, and nothing beyond the body: the next
            // pipelined request waits in the kernel until this response is done.
            return body_stream_.wants_input() && in_start_ == in_.size() && !stream_.aborted;
    }
    return false;
}

bool Connection::wants_write() const {
    return transport_->wants_write() || state_ == State::write ||
           (state_ == State::stream && out_sent_ < out_.size());
}

Millis Connection::deadline() const {
    if (state_ != State::stream)
        return deadline_;
    Millis handler = responder_ ? responder_->deadline() : kNever;
    // The client's own pace counts only while we wait for it.
    return (wants_read() || wants_write()) ? std::min(handler, deadline_) : handler;
}

Connection::Verdict Connection::advance() {
    in_advance_ = true;
    for (;;) {
        std::uint64_t before = progress_;
        Verdict verdict = Verdict::keep;
        switch (state_) {
            case State::handshake:
                verdict = advance_handshake();
                break;
            case State::head:
                verdict = advance_head();
                break;
            case State::body:
                verdict = advance_body();
                break;
            case State::write:
                verdict = advance_write();
                break;
            case State::linger:
                verdict = advance_linger();
                break;
            case State::stream:
                verdict = advance_stream();
                break;
        }
        // Stop when a step made no progress: it is waiting for the socket (or the handler).
        if (verdict != Verdict::keep || progress_ == before) {
            in_advance_ = false;
            return verdict;
        }
    }
}

Connection::Io Connection::read_more() {
    if (in_start_ > 0 && in_start_ == in_.size()) {
        in_.clear();
        in_start_ = 0;
    }
    // Read on the stack and append what came: growing `in_` by a whole chunk first would zero
    // 16 KiB per read, and keep that much per idle connection.
    char buffer[kReadChunk];
    std::size_t got = 0;
    IoStatus status = transport_->read(std::span<char>(buffer, sizeof buffer), got);
    if (status == IoStatus::done) {
        in_.append(buffer, got);
        ++progress_;
        return Io::progress;
    }
    return status == IoStatus::would_block ? Io::would_block : Io::closed;
}

// TLS: the handshake with the site's certificate; ALPN h2 hands the connection to HTTP/2.
Connection::Verdict Connection::advance_handshake() {
    IoStatus status = transport_->handshake();
    if (status == IoStatus::closed)
        return Verdict::close;  // a failed handshake: the client got its alert
    if (status == IoStatus::would_block)
        return Verdict::keep;
    if (transport_->alpn() == "h2")
        return Verdict::switch_h2;
    state_ = State::head;
    ++progress_;
    return Verdict::keep;
}

Connection::Verdict Connection::advance_head() {
    proto::HeadLimits limits;
    limits.max_head_bytes = context_.site.max_header_bytes;
    limits.max_target_bytes = std::min<std::size_t>(8192, limits.max_head_bytes);
    proto::RequestHead head;
    auto outcome = proto::parse_request_head(bytes_of(in_, in_start_), limits, head);
    if (outcome.status == proto::ParseStatus::complete)
        return on_head(head, outcome.consumed);
    if (outcome.status == proto::ParseStatus::error) {
        record_ = AccessRecord{};  // a new request, not the one before it on this connection
        return fail(proto::http_status_for(outcome.error));
    }
    if (stopping_ && in_start_ == in_.size())
        return Verdict::close;  // idle during shutdown
    std::size_t had = in_.size() - in_start_;
    Io io = read_more();
    if (io == Io::closed)
        return Verdict::close;
    if (io == Io::would_block)
        return Verdict::keep;
    if (had == 0) {  // the first bytes of a new request: its head must arrive in time
        head_started_ = monotonic_ms();
        set_deadline(head_started_ + context_.site.header_timeout_ms);
    }
    return Verdict::keep;  // advance() parses again
}

bool Connection::host_is_ours(const proto::RequestHead& head, int& error_status) const {
    // The unknown_host site answers any name: in the clear for the first request (later ones
    // may name a real site and go back to the dispatcher), inside TLS for all of them (the
    // client chose this connection by its certificate).
    bool any_host = (flags_ & ipc::kServeAnyHost) && (requests_served_ == 0 || tls());
    std::optional<std::string_view> authority = head.routing_authority();
    if (!authority)
        return any_host;  // HTTP/1.0 without Host
    std::optional<std::string> host = proto::normalize_host(*authority);
    if (!host) {
        error_status = 400;
        return true;
    }
    return any_host || context_.site.owns(*host);
}

Connection::Verdict Connection::on_head(const proto::RequestHead& head, std::size_t head_bytes) {
    record_ = AccessRecord{};
    last_request_read_ = false;
    record_.request_line = std::string(head.method) + " " + std::string(head.target) + " HTTP/1." +
                           std::to_string(head.version_minor);
    record_.referer = std::string(head.field("Referer").value_or(""));
    record_.user_agent = std::string(head.field("User-Agent").value_or(""));
    record_.started_us = monotonic_us();
    record_.client = meta_.client;
    int error_status = 0;
    if (!host_is_ours(head, error_status)) {
        // Not consumed: the whole request goes back with the socket. Inside TLS it cannot go
        // anywhere: 421 tells the client to open a connection for that name (RFC 9110 15.5.20).
        return stopping_ || tls() ? fail(421) : Verdict::handback;
    }
    if (error_status != 0)
        return fail(error_status);
    body_ = RequestBody(head, context_.site.max_body_bytes);
    if (body_.declared_too_large())
        return fail(413);
    if (!tls() && context_.site.tls && context_.site.tls->redirect_http) {
        // The body is not read: the connection ends after the answer, or its bytes would be
        // taken for the next request.
        start_response(redirect_to_https(head), head.keep_alive() && !stopping_ && !body_.present(),
                       head.version_minor == 0);
        in_start_ += head_bytes;
        return Verdict::keep;
    }
    ScriptRoute route = context_.router.classify(head);
    if (route.handler != ScriptHandler::none)
        return start_stream(head, head_bytes, route);
    bool keep_alive = head.keep_alive() && !stopping_;
    bool has_body = body_.present();
    // A body sent to a static resource is read and dropped; for any method but GET and
    // HEAD (which get 405 anyway) the connection is closed instead of reading it.
    bool drain =
        has_body && (head.method == "GET" || head.method == "HEAD") && !head.expect_continue;
    if (has_body && !drain)
        keep_alive = false;
    start_response(context_.router.files().serve(head), keep_alive, head.version_minor == 0);
    in_start_ += head_bytes;
    last_request_read_ = !head.keep_alive() && (!has_body || drain);  // a drained body is read
    ++progress_;
    if (drain) {
        state_ = State::body;
        set_deadline(monotonic_ms() + context_.site.header_timeout_ms);
    }
    return Verdict::keep;
}

Connection::Verdict Connection::advance_body() {
    RequestBody::Step step = body_.consume(bytes_of(in_, in_start_));
    in_start_ += step.consumed;
    if (step.error_status != 0) {
        // The response is already prepared; replace it by the error and close.
        out_.clear();
        out_sent_ = 0;
        file_.reset();
        return fail(step.error_status);
    }
    if (step.consumed > 0)
        ++progress_;
    if (step.done) {
        state_ = State::write;
        ++progress_;
        return Verdict::keep;
    }
    Io io = read_more();
    if (io == Io::closed)
        return Verdict::close;
    if (io == Io::progress)
        set_deadline(monotonic_ms() + context_.site.header_timeout_ms);
    return Verdict::keep;
}

void Connection::start_response(ResponsePlan plan, bool keep_alive, bool http10_client) {
    out_.clear();
    out_sent_ = 0;
    file_.reset();
    file_remaining_ = 0;
    add_tls_headers(plan.headers);
    append_response_head(out_, plan, ResponseFraming{keep_alive, http10_client});
    if (!plan.omit_body && plan.file && plan.length <= kInlineFileBytes) {
        // Small files go out with the head in one send instead of a send and a sendfile.
        std::size_t head_size = out_.size();
        out_.resize(head_size + plan.length);
        ssize_t got =
            copy_file_bytes(*plan.file, plan.offset, plan.length, out_.data() + head_size);
        if (got != static_cast<ssize_t>(plan.length)) {  // the file changed under us
            return start_response(error_response(500), false, http10_client);
        }
    } else if (!plan.omit_body && plan.file) {
        file_ = std::move(plan.file);
        file_offset_ = plan.offset;
        file_remaining_ = plan.length;
    } else if (!plan.omit_body) {
        out_ += plan.body;
    }
    close_after_write_ = !keep_alive;
    context_.access_log.add(record_, plan.status, plan.omit_body ? 0 : plan.length);
    state_ = State::write;
    ++progress_;
    set_deadline(monotonic_ms() + context_.site.keepalive_timeout_ms);
}

Connection::Verdict Connection::advance_write() {
    while (out_sent_ < out_.size()) {
        std::size_t sent = 0;
        IoStatus status =
            transport_->write(std::string_view(out_).substr(out_sent_), sent, file_remaining_ > 0);
        if (status != IoStatus::done)
            return status == IoStatus::would_block ? Verdict::keep : Verdict::close;
        out_sent_ += sent;
        ++progress_;
        set_deadline(monotonic_ms() + context_.site.keepalive_timeout_ms);
    }
    while (file_remaining_ > 0) {
        std::size_t chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(file_remaining_, 1 << 20));
        std::size_t sent = 0;
        IoStatus status = transport_->send_file(file_->fd.get(), file_offset_, chunk, sent);
        if (status != IoStatus::done)
            return status == IoStatus::would_block ? Verdict::keep : Verdict::close;
        file_remaining_ -= sent;
        ++progress_;
        set_deadline(monotonic_ms() + context_.site.keepalive_timeout_ms);
    }
    return finish_request();
}

Connection::Verdict Connection::finish_request() {
    ++requests_served_;
    ++progress_;
    file_.reset();
    out_.clear();
    out_sent_ = 0;
    if (close_after_write_) {
        // Closing with unread bytes would reset the connection and could destroy the answer
        // before the client reads it; linger only then, as most clients sent nothing more.
        bool unread = in_start_ < in_.size() || (!last_request_read_ && transport_->has_input());
        if (!unread) {
            if (tls())
                transport_->shutdown_write();  // close_notify: the answer ended, not cut off
            return Verdict::close;
        }
        transport_->shutdown_write();
        state_ = State::linger;
        set_deadline(monotonic_ms() + kLingerMs);
        return Verdict::keep;
    }
    state_ = State::head;
    head_started_ = monotonic_ms();
    bool partial = in_start_ < in_.size();
    set_deadline(head_started_ +
                 (partial ? context_.site.header_timeout_ms : context_.site.keepalive_timeout_ms));
    return Verdict::keep;
}

Connection::Verdict Connection::advance_linger() {
    char sink[4096];
    for (int i = 0; i < 16; ++i) {
        std::size_t got = 0;
        IoStatus status = transport_->read(sink, got);
        if (status == IoStatus::done)
            continue;
        return status == IoStatus::would_block ? Verdict::keep : Verdict::close;
    }
    return Verdict::keep;  // more to drain: the next readiness continues
}

// An error answer ends the connection: after a malformed request nothing that follows can be
// trusted to start where we think it does.
Connection::Verdict Connection::fail(int status) {
    if (record_.request_line.empty()) {
        record_.started_us = monotonic_us();
        record_.client = meta_.client;
        record_.request_line = "-";
    }
    start_response(error_response(status), false, false);
    in_start_ = in_.size();
    last_request_read_ = false;  // a body may be left unread
    ++progress_;
    return Verdict::keep;
}

Connection::Verdict Connection::on_timeout() {
    if (state_ == State::handshake)
        return Verdict::close;  // no HTTP answer before TLS is up
    if (state_ == State::stream)
        return stream_timeout();
    if (state_ == State::head && in_start_ < in_.size()) {
        record_ = AccessRecord{};
        fail(408);
        advance_write();  // one attempt; the socket has room for a small answer or it is gone
        return Verdict::close;
    }
    return Verdict::close;
}

Connection::Verdict Connection::stop_keep_alive() {
    stopping_ = true;
    if ((state_ == State::head && in_start_ == in_.size()) || state_ == State::handshake)
        return Verdict::close;
    close_after_write_ = true;
    keep_alive_ = false;
    return Verdict::keep;
}

}  // namespace bulkhead::worker

namespace bulkhead::worker {

ResponsePlan Connection::redirect_to_https(const proto::RequestHead& head) const {
    std::string host = proto::normalize_host(head.routing_authority().value_or("")).value_or("");
    if (host.empty())
        host = ipc::address_text(meta_.local);
    std::uint16_t port = context_.site.tls->https_port;
    std::string location = "https://" + host;
    if (port != 443)
        location += ":" + std::to_string(port);
    location += head.path_and_query.empty() ? std::string_view("/") : head.path_and_query;
    // 308 keeps the method and body (RFC 9110 15.4.9): a POST stays a POST over https.
    ResponsePlan plan = error_response(308, "Location: " + location + "\r\n");
    return plan;
}

void Connection::add_tls_headers(std::string& headers) const {
    if (!tls() || !context_.site.tls)
        return;
    std::string hsts = context_.site.tls->strict_transport_security();
    if (!hsts.empty())
        headers += "Strict-Transport-Security: " + hsts + "\r\n";
}

}  // namespace bulkhead::worker
