#include "worker/http2_stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/ascii.hpp"
#include "base/log.hpp"
#include "worker/http2_headers.hpp"

namespace bulkhead::worker::http2 {
namespace {

constexpr int kMaxRedirects = 5;  // as HTTP/1.1 (connection_stream.cpp)
constexpr std::size_t kMaxRedirectTarget = 8192;
// A body without content-length is held back from the handler until it ends or this much
// arrived: a short one (a form, a JSON document) then reaches the script with CONTENT_LENGTH.
constexpr std::size_t kBodyProbeBytes = 64 * 1024;

std::string_view field_or_empty(const Request& request, std::string_view name) {
    const std::string* value = request.field(name);
    return value ? std::string_view(*value) : std::string_view();
}

}  // namespace

Stream::Stream(SessionShared& shared, std::int32_t id)
    : shared_(shared),
      id_(id),
      collector_(shared.limits.max_header_bytes, shared.limits.max_header_fields) {}

Stream::~Stream() {
    responder_.reset();  // first: its destructor may still look at the exchange
    shared_.queued_output -= queued_output();
}

// --- from nghttp2's callbacks ------------------------------------------------------------

void Stream::body_chunk(std::span<const std::byte> data) {
    if (discarding_body_) {
        nghttp2_session_consume(shared_.session, id_, data.size());
        return;
    }
    body_received_ += data.size();
    if (body_too_large()) {
        discard_body();
        nghttp2_session_consume(shared_.session, id_, data.size());
        // Before the stream has started, start() answers 413; a running handler is told
        // through its exchange. Never both.
        if (state_ == State::answering)
            send_error(413);
        return;
    }
    body_.append(data);
    notify_responder_ = true;
    shared_.note_progress();
}

void Stream::body_end() {
    body_complete_ = true;
    notify_responder_ = true;
    shared_.note_progress();
}

std::size_t Stream::on_close() {
    if (logged_request_)
        shared_.context.access_log.add(record_, head_sent_ ? status_ : 499, body_bytes_);
    logged_request_ = false;
    return buffered_body();
}

// --- from the session's rounds -----------------------------------------------------------

void Stream::pump() {
    if (state_ == State::ready) {
        start();
    } else if (state_ == State::awaiting_body) {
        // Go on with what we have when the connection's window runs low: other streams'
        // bodies share it, and none of them must wait for this one's end.
        bool window_low =
            nghttp2_session_get_local_window_size(shared_.session) < int{kBodyProbeBytes};
        if (body_too_large()) {
            state_ = State::answering;
            respond_with_plan(error_response(413));
        } else if (body_complete_ || buffered_body() >= kBodyProbeBytes || window_low) {
            if (body_complete_) {
                request_.content_length = body_received_;
            } else {
                request_.chunked = true;  // of unknown length: CONTENT_LENGTH stays unset
            }
            state_ = State::answering;
            start_handler(std::exchange(pending_route_, {}));
        }
    }
    if (!redirect_.empty())
        follow_redirect();
    if (notify_responder_ && responder_) {
        notify_responder_ = false;
        responder_->on_exchange_ready();
    }
}

void Stream::handler_timeout() {
    if (responder_ && responder_->deadline() <= monotonic_ms())
        responder_->on_deadline();
}

bool Stream::waiting_for_client() const {
    if (state_ == State::ready)
        return false;  // starts in this very round
    bool handler_busy = responder_ && !ended_ && !aborted_ && queued_output() == 0 &&
                        (body_complete_ || buffered_body() > 0);
    return !handler_busy;
}

void Stream::start() {
    state_ = State::answering;
    record_.started_us = monotonic_us();
    record_.client = shared_.client;
    logged_request_ = true;
    int error = collector_.build(request_);
    request_.tls = shared_.tls;
    request_.client = shared_.client;
    request_.local = shared_.local;
    if (error != 0) {
        record_.request_line = "-";
        discard_body();
        return respond_with_plan(error_response(error));
    }
    record_.request_line = request_line(request_);
    record_.referer = field_or_empty(request_, "referer");
    record_.user_agent = field_or_empty(request_, "user-agent");
    if (!authority_is_ours()) {
        // RFC 9110 15.5.20: what a client that coalesced connections expects; it retries
        // on a connection of its own for that name.
        discard_body();
        return respond_with_plan(error_response(421));
    }
    if (request_.content_length.value_or(0) > shared_.context.site.max_body_bytes ||
        body_too_large()) {
        discard_body();
        return respond_with_plan(error_response(413));
    }
    proto::RequestHead head;
    request_.view_as_head(head);
    ScriptRoute script = shared_.context.router.classify(head);
    if (script.handler == ScriptHandler::none) {
        discard_body();  // a static resource takes no body (and answers 405 to a POST)
        return respond_with_plan(shared_.context.router.files().serve(head));
    }
    route(script);
}

bool Stream::authority_is_ours() {
    if (shared_.context.site.owns(request_.host))
        return true;
    if (!shared_.serve_any_host)
        return false;
    // Routed here by unknown_host: the first authority asked for is the one this connection
    // serves, on every stream; another one is misdirected.
    if (shared_.any_host.empty())
        shared_.any_host = request_.host;
    return shared_.any_host == request_.host;
}

void Stream::route(const ScriptRoute& script) {
    const std::string* expect = request_.field("expect");
    if (expect && !body_complete_ && equals_ignoring_case(*expect, "100-continue")) {
        // The client waits for this before it sends the body (RFC 9110 10.1.1).
        static const nghttp2_nv kContinue = {
            const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(":status")),
            const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>("100")), 7, 3,
            NGHTTP2_NV_FLAG_NONE};
        nghttp2_submit_headers(shared_.session, NGHTTP2_FLAG_NONE, id_, nullptr, &kContinue, 1,
                               nullptr);
    }
    if (!request_.content_length && !body_complete_) {
        pending_route_ = script;
        state_ = State::awaiting_body;
        shared_.note_progress();  // the next round looks at what already arrived
        return;
    }
    if (!request_.content_length && body_received_ > 0)
        request_.content_length = body_received_;
    start_handler(script);
}

void Stream::start_handler(const ScriptRoute& script) {
    ResponsePlan error;
    responder_ = shared_.context.router.start(script, *this, error);
    if (!responder_ && !head_sent_)
        send_error(error.status, std::move(error.headers));
}

// RFC 3875 6.2.2: the script's answer is a GET of another path on this site.
void Stream::follow_redirect() {
    std::string target = std::exchange(redirect_, {});
    responder_.reset();
    if (++redirects_ > kMaxRedirects || target.size() > kMaxRedirectTarget) {
        log::error("local redirects from ", request_line(request_), " do not end; 500");
        return send_error(500);
    }
    if (request_.method != "HEAD")
        request_.method = "GET";
    request_.target = target;
    request_.path_and_query = std::move(target);
    request_.content_length.reset();
    request_.chunked = false;
    std::erase_if(request_.fields, [](const auto& field) {
        return field.first == "content-length" || field.first == "content-type";
    });
    discard_body();
    proto::RequestHead head;
    request_.view_as_head(head);
    ScriptRoute script = shared_.context.router.classify(head);
    if (script.handler == ScriptHandler::none)
        return respond_with_plan(shared_.context.router.files().serve(head));
    start_handler(script);
}

// Nobody will read the rest of the body: give its window back now and as it comes.
void Stream::discard_body() {
    if (buffered_body() > 0)
        nghttp2_session_consume(shared_.session, id_, buffered_body());
    body_.clear();
    discarding_body_ = true;
    body_complete_ = true;
}

// --- the response ------------------------------------------------------------------------

void Stream::submit_head(int status, std::string_view header_lines,
                         std::optional<std::uint64_t> content_length,
                         nghttp2_data_source_read_callback body_reader) {
    HeaderBlock block =
        response_header_block({status, header_lines, content_length}, shared_.context.site.tls);
    const std::vector<nghttp2_nv>& fields = block.nv();
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = body_reader;
    int result = nghttp2_submit_response(shared_.session, id_, fields.data(), fields.size(),
                                         body_reader ? &provider : nullptr);
    head_sent_ = true;
    status_ = status;
    if (result != 0) {  // the stream is gone already: nothing to answer
        log::debug("HTTP/2 stream ", id_, ": response not submitted: ", nghttp2_strerror(result));
        aborted_ = true;
    }
    shared_.note_progress();
}

void Stream::respond_with_plan(ResponsePlan plan) {
    plan_ = std::move(plan);
    plan_sent_ = 0;
    ended_ = true;
    bool bodiless = plan_.status == 204 || plan_.status == 304;
    omit_body_ = plan_.omit_body || bodiless || request_.method == "HEAD";
    bool with_body = !omit_body_ && plan_.length > 0;
    if (!with_body)
        plan_.file.reset();
    submit_head(plan_.status, plan_.headers, plan_.length, with_body ? read_plan : nullptr);
}

ssize_t Stream::read_plan(nghttp2_session*, std::int32_t, std::uint8_t* buffer, std::size_t length,
                          std::uint32_t* flags, nghttp2_data_source* source, void*) {
    return static_cast<Stream*>(source->ptr)->take_plan(buffer, length, flags);
}

// One DATA frame's worth of a static file (pread, never the whole file) or generated page.
ssize_t Stream::take_plan(std::uint8_t* buffer, std::size_t length, std::uint32_t* flags) {
    std::size_t count =
        static_cast<std::size_t>(std::min<std::uint64_t>(length, plan_.length - plan_sent_));
    if (plan_.file) {
        ssize_t got = copy_file_bytes(*plan_.file, plan_.offset + plan_sent_, count,
                                      reinterpret_cast<char*>(buffer));
        if (got <= 0) {
            log::warning(request_line(request_),
                         ": the file shrank or failed while sent; "
                         "resetting the stream");
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        count = static_cast<std::size_t>(got);
    } else {
        std::memcpy(buffer, plan_.body.data() + plan_sent_, count);
    }
    plan_sent_ += count;
    body_bytes_ += count;
    if (plan_sent_ == plan_.length) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        plan_.file.reset();
    }
    return static_cast<ssize_t>(count);
}

ssize_t Stream::read_stream(nghttp2_session*, std::int32_t, std::uint8_t* buffer,
                            std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                            void*) {
    return static_cast<Stream*>(source->ptr)->take_stream(buffer, length, flags);
}

// What the handler queued; deferred until it sends more or ends.
ssize_t Stream::take_stream(std::uint8_t* buffer, std::size_t length, std::uint32_t* flags) {
    std::size_t count = std::min(length, queued_output());
    if (count == 0 && !ended_) {
        deferred_ = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    std::memcpy(buffer, out_.view().data(), count);
    out_.consume(count);
    shared_.queued_output -= count;
    body_bytes_ += count;
    if (ended_ && queued_output() == 0)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (count > 0) {
        notify_responder_ = true;  // room again
        shared_.note_progress();
    }
    return static_cast<ssize_t>(count);
}

void Stream::resume_if_deferred() {
    if (deferred_) {
        deferred_ = false;
        nghttp2_session_resume_data(shared_.session, id_);
    }
}

void Stream::abort_response() {
    aborted_ = true;
    shared_.queued_output -= queued_output();
    out_.clear();
    nghttp2_submit_rst_stream(shared_.session, NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
    shared_.note_progress();
}

// --- Exchange ----------------------------------------------------------------------------

std::span<const std::byte> Stream::body_data() const {
    return body_.bytes();
}

void Stream::consume_body(std::size_t bytes) {
    bytes = std::min(bytes, buffered_body());
    if (bytes == 0)
        return;
    body_.consume(bytes);
    // The client may send as much again: WINDOW_UPDATE for exactly what the handler took.
    nghttp2_session_consume(shared_.session, id_, bytes);
    shared_.note_progress();
}

std::size_t Stream::body_room() const {
    if (ended_ || aborted_)
        return 0;
    const Limits& limits = shared_.limits;
    if (shared_.queued_output >= limits.session_output_bytes) {
        shared_.output_starved = true;  // told when the session's queue drains (notify())
        return 0;
    }
    if (queued_output() >= limits.stream_output_bytes)
        return 0;
    return std::min(limits.stream_output_bytes - queued_output(),
                    limits.session_output_bytes - shared_.queued_output);
}

void Stream::send_head(StreamHead head) {
    if (head_sent_ || ended_ || aborted_)
        return;
    bool bodiless = head.status == 204 || head.status == 304;
    if (bodiless)
        head.length.reset();
    omit_body_ = bodiless || request_.method == "HEAD";
    if (!omit_body_)
        remaining_ = head.length;
    submit_head(head.status, head.headers, head.length, omit_body_ ? nullptr : read_stream);
    if (omit_body_)
        ended_ = true;  // HEADERS carried END_STREAM; whatever body follows is dropped
}

void Stream::send_body(std::span<const std::byte> data) {
    if (!head_sent_ || ended_ || aborted_ || omit_body_)
        return;
    std::size_t size = data.size();
    if (remaining_) {
        size = static_cast<std::size_t>(std::min<std::uint64_t>(size, *remaining_));
        *remaining_ -= size;  // anything beyond the declared length is dropped
    }
    if (size == 0)
        return;
    out_.append(data.first(size));
    shared_.queued_output += size;
    resume_if_deferred();
    shared_.note_progress();
}

void Stream::send_end() {
    if (!head_sent_ || ended_ || aborted_)
        return;
    if (remaining_ && *remaining_ > 0) {
        log::warning(request_line(request_), ": the application sent ", *remaining_,
                     " bytes less than its Content-Length; resetting the stream");
        return abort_response();
    }
    ended_ = true;
    resume_if_deferred();
    shared_.note_progress();
}

void Stream::send_error(int status, std::string extra_headers) {
    if (ended_ || aborted_)
        return;
    if (head_sent_)
        return abort_response();  // the client sees the stream reset, never a wrong body
    respond_with_plan(error_response(status, std::move(extra_headers)));
}

void Stream::redirect_internally(std::string target) {
    if (head_sent_ || ended_ || aborted_)
        return;
    redirect_ = std::move(target);
    shared_.note_progress();
}

}  // namespace bulkhead::worker::http2
