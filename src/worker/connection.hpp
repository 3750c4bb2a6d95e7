#pragma once
// One client connection in a worker: HTTP/1.1 with keep-alive and pipelining, HTTP/1.0, in
// the clear or over TLS (the Transport hides which). A small state machine driven by the
// event loop; it never blocks.
//
//   handshake (TLS) ──▶ head, or HTTP/2 when ALPN chose h2 (the loop takes the transport)
//   head ──▶ body (drained) ──▶ write ──▶ head (keep-alive, next pipelined request first)
//     │                           └────▶ linger (half-closed, draining) ──▶ closed
//     ├──▶ stream: a handler (CGI, FastCGI) answers as its program runs; the connection feeds
//     │    it the request body and writes what it produces ──▶ head, linger or closed
//     └──▶ handback: the next request names another site; the socket returns to the dispatcher
//          (plaintext only: inside TLS such a request gets 421 Misdirected Request)
//
// For `stream` the connection is the handler's Exchange (exchange.hpp): the HTTP/1.1 framing of
// both bodies lives here, the handlers know nothing of it.

#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.hpp"
#include "base/unique_fd.hpp"
#include "ipc/dispatcher_worker.hpp"
#include "proto/http_head.hpp"
#include "worker/body_stream.hpp"
#include "worker/client_session.hpp"
#include "worker/exchange.hpp"
#include "worker/request_body.hpp"
#include "worker/response_plan.hpp"
#include "worker/stream_head.hpp"
#include "worker/transport.hpp"

namespace bulkhead::worker {

class Connection final : public ClientSession, public Exchange {
  public:
    Connection(std::unique_ptr<Transport> transport, const ipc::ConnectionMeta& meta,
               std::uint16_t flags, std::string carried, ConnectionContext context);
    ~Connection() override;

    int fd() const override { return transport_->fd(); }
    bool wants_read() const override;
    bool wants_write() const override;
    Millis deadline() const override;

    // Does all the work the socket allows now: handshake, read, serve, write.
    Verdict advance() override;
    // The deadline passed: 408 for a partial head, a handler's own timeout, otherwise close.
    Verdict on_timeout() override;
    // Graceful stop: finish the current request, then close instead of keeping alive.
    Verdict stop_keep_alive() override;

    // For a handback (plaintext) or the switch to HTTP/2 (TLS): the transport, the flags,
    // and the bytes read but not used.
    std::unique_ptr<Transport> take_transport() { return std::move(transport_); }
    std::string unconsumed() const { return in_.substr(in_start_); }
    const ipc::ConnectionMeta& meta() const { return meta_; }
    std::uint16_t flags() const { return flags_; }

    // Exchange, for the handler of a streamed response (connection_stream.cpp).
    const Request& request() const override { return request_; }
    std::span<const std::byte> body_data() const override { return body_stream_.data(); }
    void consume_body(std::size_t bytes) override;
    bool body_complete() const override { return body_stream_.complete(); }
    bool head_sent() const override { return stream_.head_sent; }
    void send_head(StreamHead head) override;
    std::size_t body_room() const override;
    void send_body(std::span<const std::byte> data) override;
    void send_end() override;
    void send_error(int status, std::string extra_headers = {}) override;
    void redirect_internally(std::string target) override;

  private:
    enum class State { handshake, head, body, write, linger, stream };
    enum class Io { progress, would_block, closed };

    // What a streamed response has done so far.
    struct StreamState {
        bool head_sent = false;
        bool ended = false;    // complete: finish once `out_` has gone
        bool aborted = false;  // cannot be completed: close
        bool omit_body = false;
        BodyFraming framing = BodyFraming::none;
        std::uint64_t remaining = 0;  // with BodyFraming::length
        int status = 0;
        std::uint64_t body_bytes = 0;
        std::string redirect;  // a local redirect to follow
        int redirects = 0;
    };

    Verdict advance_handshake();
    Verdict advance_head();
    Verdict advance_body();
    Verdict advance_write();
    Verdict advance_linger();
    Verdict on_head(const proto::RequestHead& head, std::size_t head_bytes);
    bool host_is_ours(const proto::RequestHead& head, int& error_status) const;
    bool tls() const { return transport_->encrypted(); }
    // redirect_http: the https:// address of this request, for a 308.
    ResponsePlan redirect_to_https(const proto::RequestHead& head) const;
    // Strict-Transport-Security on answers inside TLS, when the site asks for it.
    void add_tls_headers(std::string& headers) const;
    void start_response(ResponsePlan plan, bool keep_alive, bool http10_client);
    Verdict finish_request();
    Verdict fail(int status);
    Io read_more();
    void set_deadline(Millis deadline) { deadline_ = deadline; }

    // connection_stream.cpp
    Verdict start_stream(const proto::RequestHead& head, std::size_t head_bytes,
                         const ScriptRoute& route);
    void start_handler(const ScriptRoute& route);
    Verdict advance_stream();
    bool stream_read_body();
    bool stream_write();
    Verdict finish_stream();
    Verdict follow_redirect();
    Verdict stream_timeout();
    void capture_request(const proto::RequestHead& head);
    void send_plan(ResponsePlan plan);
    void note_progress();
    void stream_moved();
    std::string printable_target() const;

    std::unique_ptr<Transport> transport_;
    ipc::ConnectionMeta meta_;
    std::uint16_t flags_;
    ConnectionContext context_;
    State state_;
    Millis deadline_ = 0;
    Millis head_started_ = 0;

    std::string in_;  // bytes read; the current request starts at in_start_
    std::size_t in_start_ = 0;
    RequestBody body_;

    std::string out_;  // response head (and small bodies) still to send
    std::size_t out_sent_ = 0;
    SharedFile file_;  // body file still to send with sendfile
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_remaining_ = 0;
    bool close_after_write_ = false;
    // The client said this request is its last (Connection: close, or HTTP/1.0 without
    // keep-alive) and every byte of it was read: nothing more may arrive, so closing needs no
    // probe for unread input (RFC 9112 9.6: such a client sends no further request).
    bool last_request_read_ = false;
    bool stopping_ = false;
    bool in_advance_ = false;  // exchange calls from inside advance() need no wake-up
    bool notify_responder_ = false;
    std::uint64_t requests_served_ = 0;
    std::uint64_t progress_ = 0;  // bumped by every step that moved; advance() loops while it does
    AccessRecord record_;         // the request being answered, for the access log

    // A streamed response (State::stream).
    Request request_;
    BodyStream body_stream_;
    StreamState stream_;
    bool keep_alive_ = true;
    std::unique_ptr<Responder> responder_;  // last: destroyed first, while the rest still exists
};

}  // namespace bulkhead::worker
