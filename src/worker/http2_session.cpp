#include "worker/http2_session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>

#include "base/log.hpp"
#include "ipc/endpoint.hpp"
#include "worker/http2_callbacks.hpp"

namespace bulkhead::worker {
namespace {

constexpr int kRoundsPerAdvance = 8;
constexpr int kWritesPerRound = 64;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kCompactBytes = 64 * 1024;
constexpr Millis kFailedLingerMs = 2000;  // to get a GOAWAY out to a client that does not read

ipc::Endpoint local_endpoint(const ipc::ConnectionMeta& meta, int fd) {
    if (meta.local.family != 0)
        return meta.local;
    // The dispatcher did not look it up: ask the socket once.
    sockaddr_storage local{};
    socklen_t size = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0)
        return meta.local;
    return ipc::endpoint_from(local);
}

}  // namespace

http2::Limits http2_limits_for(const Site& site) {
    http2::Limits limits;
    limits.max_header_bytes = site.max_header_bytes;
    return limits;
}

Http2Session::Http2Session(std::unique_ptr<Transport> transport, const ipc::ConnectionMeta& meta,
                           std::uint16_t flags, ConnectionContext context)
    : Http2Session(std::move(transport), meta, flags, context, http2_limits_for(context.site)) {}

Http2Session::Http2Session(std::unique_ptr<Transport> transport, const ipc::ConnectionMeta& meta,
                           std::uint16_t flags, ConnectionContext context,
                           const http2::Limits& limits)
    : transport_(std::move(transport)),
      allocator_(limits.max_library_bytes),
      shared_(context, limits),
      idle_frames_(limits.idle_frame_burst, limits.idle_frame_rate_per_s, monotonic_ms()) {
    idle_since_ = shared_.active_at = monotonic_ms();
    shared_.fd = transport_->fd();
    shared_.tls = (flags & ipc::kConnectionTls) != 0;
    shared_.serve_any_host = (flags & ipc::kServeAnyHost) != 0;
    shared_.client = meta.client;
    shared_.local = local_endpoint(meta, transport_->fd());
    if (!start_session()) {
        log::error("HTTP/2 session from ", ipc::address_text(meta.client),
                   ": nghttp2 could not start one; closing");
    }
}

Http2Session::~Http2Session() {
    // Streams still open end here (the client left, or the worker stops): each gets its log
    // line, and its handler stops, before nghttp2's state goes.
    for (auto& [id, stream] : streams_)
        stream->on_close();
    streams_.clear();
    if (session_)
        nghttp2_session_del(session_);
}

bool Http2Session::start_session() {
    const http2::Limits& limits = shared_.limits;
    nghttp2_option* option = nullptr;
    if (nghttp2_option_new(&option) != 0)
        return false;
    // WINDOW_UPDATE only for body bytes a handler consumed: back-pressure to the client.
    nghttp2_option_set_no_auto_window_update(option, 1);
    nghttp2_option_set_max_continuations(option, limits.max_continuations);
    nghttp2_option_set_max_settings(option, limits.max_settings_entries);
    nghttp2_option_set_max_outbound_ack(option, limits.max_outbound_acks);
    nghttp2_option_set_stream_reset_rate_limit(option, limits.reset_burst, limits.reset_rate_per_s);
    nghttp2_option_set_no_closed_streams(option, 1);
    nghttp2_session_callbacks* callbacks = http2::make_callbacks();
    int created = callbacks ? nghttp2_session_server_new3(&session_, callbacks, this, option,
                                                          allocator_.mem())
                            : NGHTTP2_ERR_NOMEM;
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_option_del(option);
    if (created != 0) {
        session_ = nullptr;
        return false;
    }
    shared_.session = session_;
    std::array<nghttp2_settings_entry, 4> settings{{
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.stream_window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits.max_header_bytes},
        // No priority tree to keep (nor to attack): RFC 9218's signals are enough.
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    }};
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size()) !=
            0 ||
        nghttp2_session_set_local_window_size(
            session_, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(limits.connection_window)) !=
            0) {
        return false;
    }
    return true;
}

// --- ClientSession -----------------------------------------------------------------------

bool Http2Session::reading_allowed() const {
    return session_ && !failed_ && !peer_closed_ && nghttp2_session_want_read(session_) &&
           pending_output() < shared_.limits.output_high_water;
}

bool Http2Session::wants_read() const {
    return reading_allowed() || write_waits_for_read_;
}

bool Http2Session::wants_write() const {
    return pending_output() > 0 || read_waits_for_write_;
}

Millis Http2Session::deadline() const {
    const Site& site = shared_.context.site;
    Millis deadline = kNever;
    bool client_bound = pending_output() > 0;
    for (const auto& [id, stream] : streams_) {
        deadline = std::min(deadline, stream->handler_deadline());
        client_bound = client_bound || stream->waiting_for_client();
    }
    if (failed_)
        deadline = std::min(deadline, failed_at_ + kFailedLingerMs);
    if (streams_.empty()) {
        // Idle: PINGs and SETTINGS do not keep a connection without requests open.
        deadline = std::min(deadline, idle_since_ + Millis{site.keepalive_timeout_ms});
    } else if (client_bound) {
        deadline = std::min(deadline, shared_.active_at + Millis{site.keepalive_timeout_ms});
    }
    return deadline;
}

ClientSession::Verdict Http2Session::advance() {
    if (!session_)
        return Verdict::close;
    shared_.in_advance = true;
    Verdict verdict = run_rounds();
    shared_.in_advance = false;
    return verdict;
}

ClientSession::Verdict Http2Session::run_rounds() {
    for (int round = 0; round < kRoundsPerAdvance; ++round) {
        shared_.progress = false;
        if (!receive())
            return Verdict::close;  // the client is gone: its streams end with it
        pump_streams();
        if (!transmit())
            return Verdict::close;
        if (finished()) {
            transport_->shutdown_write();
            return Verdict::close;
        }
        if (!shared_.progress)
            return Verdict::keep;  // waiting for the socket or a handler
    }
    // Still busy: continue once the other connections had their turn.
    shared_.context.reactor.wake(fd());
    return Verdict::keep;
}

ClientSession::Verdict Http2Session::on_timeout() {
    Millis now = monotonic_ms();
    bool handler_due = false;
    for (const auto& [id, stream] : streams_)
        handler_due = handler_due || stream->handler_deadline() <= now;
    if (handler_due) {
        for (const auto& [id, stream] : streams_)
            stream->handler_timeout();
        return advance();
    }
    // The client's time ran out (idle, or a stream waits for it), or a GOAWAY did not go.
    if (session_ && !failed_) {
        nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
        transmit();  // one attempt: the socket has room for a GOAWAY or the client is gone
    }
    return Verdict::close;
}

ClientSession::Verdict Http2Session::stop_keep_alive() {
    stopping_ = true;
    if (session_ && !failed_) {
        // Streams up to the last one we took are finished; later ones the client retries.
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                              nullptr, 0);
    }
    return advance();
}

// --- the rounds --------------------------------------------------------------------------

bool Http2Session::receive() {
    char buffer[kReadChunk];
    for (std::size_t i = 0; i < shared_.limits.reads_per_advance && reading_allowed(); ++i) {
        std::size_t got = 0;
        IoStatus status = transport_->read(buffer, got);
        if (status == IoStatus::would_block) {
            read_waits_for_write_ = transport_->wants_write();
            return true;
        }
        read_waits_for_write_ = false;
        if (status == IoStatus::closed) {
            peer_closed_ = true;
            return false;
        }
        note_client_activity();
        shared_.progress = true;
        ssize_t used =
            nghttp2_session_mem_recv(session_, reinterpret_cast<std::uint8_t*>(buffer), got);
        if (calm_down_) {
            fail(NGHTTP2_ENHANCE_YOUR_CALM,
                 "sends too many frames that do no work (resets, pings, settings, priority)");
        } else if (used == NGHTTP2_ERR_FLOODED) {
            fail(NGHTTP2_ENHANCE_YOUR_CALM, "floods frames whose answers it does not read");
        } else if (used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
            fail(NGHTTP2_ENHANCE_YOUR_CALM, "sends too many CONTINUATION frames");
        } else if (used == NGHTTP2_ERR_NOMEM) {
            fail(NGHTTP2_ENHANCE_YOUR_CALM, "made nghttp2 reach the session's memory limit");
        } else if (used == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
            fail(NGHTTP2_PROTOCOL_ERROR, "did not start with the HTTP/2 client preface");
        } else if (used < 0) {
            fail(NGHTTP2_INTERNAL_ERROR, nghttp2_strerror(static_cast<int>(used)));
        }
    }
    return true;
}

void Http2Session::pump_streams() {
    if (shared_.output_starved && shared_.queued_output < shared_.limits.session_output_bytes) {
        shared_.output_starved = false;
        for (auto& [id, stream] : streams_)
            stream->notify();
    }
    // Streams only change inside nghttp2's callbacks (mem_recv, mem_send), never here.
    for (auto& [id, stream] : streams_)
        stream->pump();
}

bool Http2Session::transmit() {
    for (int i = 0; i < kWritesPerRound; ++i) {
        if (!fill_output())
            return false;
        if (pending_output() == 0)
            return true;
        std::size_t sent = 0;
        IoStatus status = transport_->write(std::string_view(out_).substr(out_sent_), sent, false);
        if (status == IoStatus::would_block) {
            write_waits_for_read_ = transport_->wants_read();
            return true;
        }
        write_waits_for_read_ = false;
        if (status == IoStatus::closed)
            return false;
        out_sent_ += sent;
        note_client_activity();
        shared_.progress = true;
        if (out_sent_ == out_.size()) {
            out_.clear();
            out_sent_ = 0;
        }
    }
    return true;
}

// Frames from nghttp2 up to the high-water mark; false when nghttp2 failed.
bool Http2Session::fill_output() {
    while (pending_output() < shared_.limits.output_high_water) {
        const std::uint8_t* data = nullptr;
        ssize_t size = nghttp2_session_mem_send(session_, &data);
        if (size < 0) {
            log::warning("HTTP/2 session from ", ipc::address_text(shared_.client),
                         ": nghttp2 cannot go on: ", nghttp2_strerror(static_cast<int>(size)));
            return false;
        }
        if (size == 0)
            break;
        if (out_sent_ > kCompactBytes) {
            out_.erase(0, out_sent_);
            out_sent_ = 0;
        }
        out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    if (calm_down_ && !failed_)
        fail(NGHTTP2_ENHANCE_YOUR_CALM, "makes us reset too many streams");
    return true;
}

bool Http2Session::finished() const {
    return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_) &&
           pending_output() == 0;
}

// GOAWAY with `error_code`; nothing more is read, and the session closes once it has gone.
void Http2Session::fail(std::uint32_t error_code, const char* why) {
    if (failed_)
        return;
    failed_ = true;
    failed_at_ = monotonic_ms();
    log::warning("HTTP/2 client ", ipc::address_text(shared_.client), " ", why, "; GOAWAY ",
                 nghttp2_http2_strerror(error_code));
    nghttp2_session_terminate_session(session_, error_code);
    shared_.progress = true;
}

bool Http2Session::spend_idle_token() {
    return idle_frames_.take(monotonic_ms());
}

// --- for the callbacks -------------------------------------------------------------------

http2::Stream* Http2Session::stream(std::int32_t stream_id) {
    auto found = streams_.find(stream_id);
    return found == streams_.end() ? nullptr : found->second.get();
}

int Http2Session::begin_stream(std::int32_t stream_id) {
    // nghttp2 refuses streams beyond SETTINGS_MAX_CONCURRENT_STREAMS itself; this is the
    // backstop that holds even before the client acknowledged our SETTINGS.
    if (streams_.size() >= shared_.limits.max_concurrent_streams)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    auto stream = std::make_unique<http2::Stream>(shared_, stream_id);
    nghttp2_session_set_stream_user_data(session_, stream_id, stream.get());
    streams_.emplace(stream_id, std::move(stream));
    return 0;
}

void Http2Session::close_stream(std::int32_t stream_id, std::uint32_t error_code) {
    auto found = streams_.find(stream_id);
    if (found == streams_.end())
        return;
    std::unique_ptr<http2::Stream> stream = std::move(found->second);
    streams_.erase(found);
    std::size_t unconsumed = stream->on_close();
    if (unconsumed > 0)  // the connection's window gets back what the handler never read
        nghttp2_session_consume_connection(session_, unconsumed);
    // Streams we reset before answering them (an invalid request, a broken handler) cost
    // work for nothing, as the client's own resets do ("MadeYouReset").
    bool we_reset = error_code != NGHTTP2_NO_ERROR && !stream->response_sent_fully() &&
                    !stream->was_reset_by_client();
    stream.reset();  // stops its handler
    if (streams_.empty())
        idle_since_ = monotonic_ms();
    shared_.progress = true;
    if (we_reset && !spend_idle_token())
        calm_down_ = true;
}

}  // namespace bulkhead::worker
