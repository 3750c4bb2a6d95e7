// The `stream` state of a connection: a request answered by a handler (CGI, FastCGI) as its
// program runs. The connection is the handler's Exchange: it decodes the request body for it
// and frames what it produces (Content-Length, chunked on HTTP/1.1, close-delimited on
// HTTP/1.0), with back-pressure both ways.

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>

#include "base/ascii.hpp"
#include "base/log.hpp"
#include "proto/host.hpp"
#include "worker/connection.hpp"
#include "worker/response_head.hpp"

namespace bulkhead::worker {
namespace {

constexpr std::size_t kOutHighWater = 256 * 1024;  // response bytes queued before the handler waits
constexpr std::size_t kOutCompact = 64 * 1024;
constexpr int kMaxRedirects = 5;

std::span<const std::byte> bytes_of(const std::string& text, std::size_t from) {
    return {reinterpret_cast<const std::byte*>(text.data()) + from, text.size() - from};
}

}  // namespace

void Connection::capture_request(const proto::RequestHead& head) {
    request_ = Request{};
    request_.method = std::string(head.method);
    request_.target = std::string(head.target);
    request_.path_and_query = std::string(head.path_and_query);
    request_.version_minor = head.version_minor;
    if (auto authority = head.routing_authority()) {
        request_.host = proto::normalize_host(*authority).value_or("");
    }
    request_.fields.reserve(head.field_count);
    for (std::size_t i = 0; i < head.field_count; ++i) {
        request_.fields.emplace_back(head.fields[i].name, head.fields[i].value);
    }
    request_.content_length = head.content_length;
    request_.chunked = head.chunked;
    request_.tls = (flags_ & ipc::kConnectionTls) != 0;
    if (meta_.local.family == 0) {  // the dispatcher did not look it up: ask the socket once
        sockaddr_storage local{};
        socklen_t size = sizeof local;
        if (getsockname(fd(), reinterpret_cast<sockaddr*>(&local), &size) == 0) {
            meta_.local = ipc::endpoint_from(local);
        }
    }
    request_.client = meta_.client;
    request_.local = meta_.local;
    if (request_.host.empty())
        request_.host = ipc::address_text(meta_.local);  // HTTP/1.0, no Host
}

Connection::Verdict Connection::start_stream(const proto::RequestHead& head, std::size_t head_bytes,
                                             const ScriptRoute& route) {
    capture_request(head);
    in_start_ += head_bytes;
    body_stream_ =
        BodyStream(head.content_length.value_or(0), head.chunked, context_.site.max_body_bytes);
    keep_alive_ = head.keep_alive() && !stopping_;
    last_request_read_ = !head.keep_alive();  // and its body read: settled in finish_stream()
    stream_ = StreamState{};
    stream_.omit_body = head.method == "HEAD";
    out_.clear();
    out_sent_ = 0;
    file_.reset();
    file_remaining_ = 0;
    close_after_write_ = false;
    state_ = State::stream;
    set_deadline(monotonic_ms() + context_.site.header_timeout_ms);
    start_handler(route);
    // The client waits for this before it sends the body; only worth it once the handler runs.
    // A script may already have printed its head while it was being started (a loaded machine
    // schedules it first): nothing is sent before this returns, so the interim answer still
    // goes in front.
    bool expect_continue = head.expect_continue && request_.has_body() && head.version_minor == 1;
    if (expect_continue && responder_ && out_sent_ == 0)
        out_.insert(0, "HTTP/1.1 100 Continue\r\n\r\n");
    ++progress_;
    return Verdict::keep;
}

void Connection::start_handler(const ScriptRoute& route) {
    ResponsePlan error;
    responder_ = context_.router.start(route, *this, error);
    if (!responder_ && !stream_.head_sent)
        send_error(error.status, std::move(error.headers));
}

// Before a head was sent: `plan` (an error page) is the whole answer.
void Connection::send_plan(ResponsePlan plan) {
    stream_.status = plan.status;
    stream_.head_sent = true;
    stream_.ended = true;
    // Unread body bytes would be taken for the next request: close instead.
    if (!body_stream_.complete())
        keep_alive_ = false;
    add_tls_headers(plan.headers);
    append_response_head(out_, plan, ResponseFraming{keep_alive_, request_.version_minor == 0});
    if (!stream_.omit_body) {
        out_ += plan.body;
        stream_.body_bytes = plan.body.size();
    }
    stream_moved();
}

Connection::Verdict Connection::advance_stream() {
    if (!stream_.redirect.empty())
        return follow_redirect();
    if (!stream_read_body() || !stream_write() || stream_.aborted)
        return Verdict::close;
    if (stream_.ended && out_sent_ == out_.size())
        return finish_stream();
    if (notify_responder_ && responder_) {
        notify_responder_ = false;
        responder_->on_exchange_ready();
    }
    return Verdict::keep;
}

// False when the client is gone.
bool Connection::stream_read_body() {
    if (!body_stream_.wants_input())
        return true;
    if (in_start_ == in_.size()) {
        Io io = read_more();
        if (io == Io::closed)
            return false;  // gone before its body was: nobody to answer
        if (io == Io::would_block)
            return true;
        set_deadline(monotonic_ms() + context_.site.header_timeout_ms);
    }
    BodyStream::Step step = body_stream_.decode(bytes_of(in_, in_start_));
    in_start_ += step.consumed;
    if (step.error_status != 0) {
        // Nothing after a malformed or oversized body can be trusted: answer (if we still
        // can) and close. The handler sees the body end where it broke.
        body_stream_ = BodyStream();
        keep_alive_ = false;
        close_after_write_ = true;
        last_request_read_ = false;  // the rest of the body may still be in the socket
        in_start_ = in_.size();
        send_error(step.error_status);
    }
    if (step.consumed > 0) {
        ++progress_;
        notify_responder_ = true;
    }
    return true;
}

// False when the client is gone.
bool Connection::stream_write() {
    while (out_sent_ < out_.size()) {
        std::size_t sent = 0;
        IoStatus status = transport_->write(std::string_view(out_).substr(out_sent_), sent, false);
        if (status != IoStatus::done)
            return status == IoStatus::would_block;
        out_sent_ += sent;
        ++progress_;
        notify_responder_ = true;
        set_deadline(monotonic_ms() + context_.site.keepalive_timeout_ms);
    }
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
    } else if (out_sent_ > kOutCompact) {
        out_.erase(0, out_sent_);
        out_sent_ = 0;
    }
    return true;
}

Connection::Verdict Connection::finish_stream() {
    context_.access_log.add(record_, stream_.status, stream_.body_bytes);
    responder_.reset();
    // Body bytes the handler never asked for are still in the socket: they are not a request.
    if (!body_stream_.complete() || !keep_alive_ ||
        stream_.framing == BodyFraming::close_delimited) {
        close_after_write_ = true;
    }
    last_request_read_ = last_request_read_ && body_stream_.complete();
    body_stream_ = BodyStream();
    request_ = Request{};
    state_ = State::write;  // what finish_request() leaves
    return finish_request();
}

// RFC 3875 6.2.2: the script's answer is a GET of another path on this site.
Connection::Verdict Connection::follow_redirect() {
    std::string target = std::exchange(stream_.redirect, {});
    responder_.reset();
    if (++stream_.redirects > kMaxRedirects || target.size() > 8192) {
        log::error("local redirects from ", printable_target(), " do not end; 500");
        send_error(500);
        return Verdict::keep;
    }
    if (request_.method != "HEAD")
        request_.method = "GET";  // HEAD stays HEAD: no body
    request_.target = target;
    request_.path_and_query = target;
    request_.content_length.reset();
    request_.chunked = false;
    std::erase_if(request_.fields, [](const auto& field) {
        return equals_ignoring_case(field.first, "Content-Length") ||
               equals_ignoring_case(field.first, "Content-Type") ||
               equals_ignoring_case(field.first, "Transfer-Encoding");
    });
    if (!body_stream_.complete())
        keep_alive_ = false;
    body_stream_ = BodyStream();
    proto::RequestHead head;
    request_.view_as_head(head);
    ScriptRoute route = context_.router.classify(head);
    ++progress_;
    if (route.handler == ScriptHandler::none) {
        // A static file: the ordinary path, sendfile and all.
        start_response(context_.router.files().serve(head), keep_alive_,
                       request_.version_minor == 0);
        return Verdict::keep;
    }
    start_handler(route);
    return Verdict::keep;
}

Connection::Verdict Connection::stream_timeout() {
    if (responder_ && responder_->deadline() <= monotonic_ms()) {
        responder_->on_deadline();
        return advance();
    }
    return Verdict::close;  // the client stopped reading our answer, or sending its body
}

std::string Connection::printable_target() const {
    std::string out = request_.target;
    for (char& c : out) {
        if (c < 0x21 || c > 0x7e)
            c = '?';
    }
    return out;
}

void Connection::note_progress() {
    if (in_advance_) {
        ++progress_;
    } else if (transport_) {
        context_.reactor.wake(fd());
    }
}

void Connection::stream_moved() {
    set_deadline(monotonic_ms() + context_.site.keepalive_timeout_ms);
    note_progress();
}

// --- Exchange -----------------------------------------------------------------------------

void Connection::consume_body(std::size_t bytes) {
    bool was_full = !body_stream_.wants_input() && !body_stream_.complete();
    body_stream_.consume(bytes);
    if (was_full)
        note_progress();  // room again: read the client
}

std::size_t Connection::body_room() const {
    if (stream_.ended || stream_.aborted)
        return 0;
    std::size_t unsent = out_.size() - out_sent_;
    return unsent >= kOutHighWater ? 0 : kOutHighWater - unsent;
}

void Connection::send_head(StreamHead head) {
    if (stream_.head_sent || stream_.ended || stream_.aborted)
        return;
    stream_.status = head.status;
    stream_.head_sent = true;
    bool bodiless = head.status == 204 || head.status == 304;
    if (stream_.omit_body || bodiless) {
        stream_.framing = BodyFraming::none;
        if (bodiless)
            head.length.reset();
    } else if (head.length) {
        stream_.framing = BodyFraming::length;
        stream_.remaining = *head.length;
    } else if (request_.version_minor >= 1) {
        stream_.framing = BodyFraming::chunked;
    } else {
        stream_.framing = BodyFraming::close_delimited;
        keep_alive_ = false;
    }
    add_tls_headers(head.headers);
    append_stream_head(out_, head, stream_.framing, keep_alive_, request_.version_minor == 0);
    stream_moved();
}

void Connection::send_body(std::span<const std::byte> data) {
    if (!stream_.head_sent || stream_.ended || stream_.aborted ||
        stream_.framing == BodyFraming::none) {
        return;  // HEAD, 204 and 304 answers have no body: the bytes are dropped
    }
    std::size_t size = data.size();
    if (stream_.framing == BodyFraming::length) {
        size = static_cast<std::size_t>(std::min<std::uint64_t>(size, stream_.remaining));
        stream_.remaining -= size;  // anything beyond the declared length is dropped
    }
    if (size == 0)
        return;
    std::string_view piece(reinterpret_cast<const char*>(data.data()), size);
    if (stream_.framing == BodyFraming::chunked) {
        append_chunk(out_, piece);
    } else {
        out_.append(piece);
    }
    stream_.body_bytes += size;
    stream_moved();
}

void Connection::send_end() {
    if (!stream_.head_sent || stream_.ended || stream_.aborted)
        return;
    if (stream_.framing == BodyFraming::length && stream_.remaining > 0) {
        log::warning(printable_target(), ": the application sent ", stream_.remaining,
                     " bytes less than its Content-Length; closing the connection");
        stream_.aborted = true;
        note_progress();
        return;
    }
    if (stream_.framing == BodyFraming::chunked)
        out_ += kLastChunk;
    stream_.ended = true;
    stream_moved();
}

void Connection::send_error(int status, std::string extra_headers) {
    if (stream_.ended || stream_.aborted)
        return;
    if (stream_.head_sent) {
        stream_.aborted = true;  // the client sees the body end early, never a wrong one
        note_progress();
        return;
    }
    send_plan(error_response(status, std::move(extra_headers)));
}

void Connection::redirect_internally(std::string target) {
    if (stream_.head_sent || stream_.ended || stream_.aborted)
        return;
    stream_.redirect = std::move(target);
    note_progress();
}

}  // namespace bulkhead::worker
