#pragma once
// One HTTP/2 stream: a request and its response, answered by the same handlers as HTTP/1.1.
//
//   headers ──▶ ready ──▶ static: files().serve(head) → ResponsePlan → HEADERS + DATA (pread)
//   (collect)  (queued)  └▶ handler: Router::start() with this stream as its Exchange
//                            (a body without content-length is first buffered up to 64 KiB,
//                            so a short one reaches the script with CONTENT_LENGTH)
//
// As the handler's Exchange the stream takes request body DATA into a buffer the handler
// consumes (WINDOW_UPDATE follows consumption only, so a slow application back-pressures the
// client), and queues the response body for nghttp2's data provider, bounded per stream and
// per session (body_room()), so a slow client back-pressures the application.
//
// Nothing here calls the responder from inside an nghttp2 callback, and no Exchange method
// calls the responder back: they note what changed and the session pumps the stream later.

#include <nghttp2/nghttp2.h>

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/clock.hpp"
#include "worker/access_log.hpp"
#include "worker/byte_queue.hpp"
#include "worker/client_session.hpp"
#include "worker/exchange.hpp"
#include "worker/http2_limits.hpp"
#include "worker/http2_request.hpp"
#include "worker/response_plan.hpp"
#include "worker/script_route.hpp"

namespace bulkhead::worker::http2 {

// What every stream of one session shares: the nghttp2 session, the worker's context, the
// session's limits and output budget, and the connection's addresses.
struct SessionShared {
    SessionShared(ConnectionContext worker, const Limits& session_limits)
        : context(worker), limits(session_limits) {}

    nghttp2_session* session = nullptr;
    ConnectionContext context;
    Limits limits;
    int fd = -1;
    bool tls = false;
    bool serve_any_host = false;  // routed by unknown_host: serve the first stream's authority
    std::string any_host;         // ... which is this one, once the first stream named it
    ipc::Endpoint client;
    ipc::Endpoint local;
    std::size_t queued_output = 0;  // handler body bytes waiting in all streams
    bool output_starved = false;    // a handler found no room because of the session's budget
    bool in_advance = false;
    bool progress = false;
    // The last time this session moved: a byte read or written, or a handler's output or
    // consumption. A stream waiting for the client has keepalive_timeout from here.
    Millis active_at = 0;

    // Something changed that the session must act on: within advance() it runs another round,
    // otherwise the loop advances the session once the current callback returns.
    void note_progress() {
        active_at = monotonic_ms();
        if (in_advance)
            progress = true;
        else
            context.reactor.wake(fd);
    }
};

class Stream final : public Exchange {
  public:
    Stream(SessionShared& shared, std::int32_t id);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    std::int32_t id() const { return id_; }

    // From the session's nghttp2 callbacks.
    void add_header(std::string_view name, std::string_view value) { collector_.add(name, value); }
    void headers_complete() { state_ = State::ready; }
    void body_chunk(std::span<const std::byte> data);
    void body_end();
    // The response's last frame went out.
    void response_sent() { response_sent_ = true; }
    bool response_sent_fully() const { return response_sent_; }
    void reset_by_client() { reset_by_client_ = true; }
    bool was_reset_by_client() const { return reset_by_client_; }
    // Logs the stream; the bytes of request body never consumed, which the connection's
    // window must get back.
    std::size_t on_close();

    // From the session's advance(): start, follow a local redirect, let the handler pump.
    void pump();
    // Let the handler look again for room (the session's output budget has some again).
    void notify() { notify_responder_ = true; }
    Millis handler_deadline() const { return responder_ ? responder_->deadline() : kNever; }
    void handler_timeout();
    // Waits for the client (its request, its body, or room in its window), not the handler.
    bool waiting_for_client() const;

    // Exchange
    const Request& request() const override { return request_; }
    std::span<const std::byte> body_data() const override;
    void consume_body(std::size_t bytes) override;
    bool body_complete() const override { return body_complete_; }
    bool head_sent() const override { return head_sent_; }
    void send_head(StreamHead head) override;
    std::size_t body_room() const override;
    void send_body(std::span<const std::byte> data) override;
    void send_end() override;
    void send_error(int status, std::string extra_headers = {}) override;
    void redirect_internally(std::string target) override;

  private:
    enum class State { headers, ready, awaiting_body, answering };

    void start();
    bool body_too_large() const { return body_received_ > shared_.context.site.max_body_bytes; }
    bool authority_is_ours();
    void route(const ScriptRoute& route);
    void start_handler(const ScriptRoute& route);
    void follow_redirect();
    void respond_with_plan(ResponsePlan plan);
    // `body_reader` null: HEADERS end the stream.
    void submit_head(int status, std::string_view header_lines,
                     std::optional<std::uint64_t> content_length,
                     nghttp2_data_source_read_callback body_reader);
    void abort_response();
    void discard_body();
    void resume_if_deferred();
    std::size_t buffered_body() const { return body_.size(); }
    std::size_t queued_output() const { return out_.size(); }

    static ssize_t read_plan(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buffer,
                             std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                             void* user_data);
    static ssize_t read_stream(nghttp2_session* session, std::int32_t stream_id,
                               std::uint8_t* buffer, std::size_t length, std::uint32_t* flags,
                               nghttp2_data_source* source, void* user_data);
    ssize_t take_plan(std::uint8_t* buffer, std::size_t length, std::uint32_t* flags);
    ssize_t take_stream(std::uint8_t* buffer, std::size_t length, std::uint32_t* flags);

    SessionShared& shared_;
    std::int32_t id_;
    State state_ = State::headers;
    RequestCollector collector_;
    Request request_;
    AccessRecord record_;
    bool logged_request_ = false;  // the request was complete: the stream gets a log line
    ScriptRoute pending_route_;    // State::awaiting_body

    // The request body, from DATA frames, until the handler consumes it.
    ByteQueue body_;
    std::uint64_t body_received_ = 0;
    bool body_complete_ = false;
    bool discarding_body_ = false;  // nobody will read it: consumed as it comes

    // The response.
    bool head_sent_ = false;
    bool ended_ = false;    // no more body will be queued
    bool aborted_ = false;  // RST_STREAM sent
    bool omit_body_ = false;
    bool deferred_ = false;  // the data provider waits for send_body()/send_end()
    bool response_sent_ = false;
    bool reset_by_client_ = false;
    int status_ = 0;
    std::optional<std::uint64_t> remaining_;  // of a declared content-length
    std::uint64_t body_bytes_ = 0;            // DATA bytes handed to nghttp2
    ResponsePlan plan_;                       // a whole answer: static file or generated page
    std::uint64_t plan_sent_ = 0;
    ByteQueue out_;  // a handler's body not yet taken by nghttp2
    std::string redirect_;
    int redirects_ = 0;
    bool notify_responder_ = false;
    std::unique_ptr<Responder> responder_;  // last: destroyed first, while the rest still exists
};

}  // namespace bulkhead::worker::http2
