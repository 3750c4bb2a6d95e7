#pragma once
// An HTTP/2 connection (RFC 9113) in a worker, with libnghttp2, after TLS chose ALPN "h2".
// The worker loop drives it like an HTTP/1.1 connection (ClientSession); each stream is
// answered by the same handlers (http2_stream.hpp).
//
// One advance() runs rounds of: read what the socket has and feed nghttp2 (its callbacks,
// http2_callbacks.cpp, collect headers, body bytes and stream ends) → pump the streams (start
// them, let handlers run) → take frames from nghttp2 and write them. It stops when a round
// moved nothing; a busy session yields after a few rounds so other connections get a turn.
//
// Bounded memory whatever the client does (http2_limits.hpp): nghttp2's allocations are
// counted and capped per session; streams, header bytes, request and response bodies, queued
// output and frames that do no work are all limited. A client past a limit gets GOAWAY
// (ENHANCE_YOUR_CALM or PROTOCOL_ERROR) and the connection closes once it has gone.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/clock.hpp"
#include "ipc/dispatcher_worker.hpp"
#include "worker/client_session.hpp"
#include "worker/http2_limits.hpp"
#include "worker/http2_memory.hpp"
#include "worker/http2_rate.hpp"
#include "worker/http2_stream.hpp"
#include "worker/transport.hpp"

namespace bulkhead::worker {

// The limits for `site` (its max_header_bytes); the rest are the defaults of Limits.
http2::Limits http2_limits_for(const Site& site);

class Http2Session final : public ClientSession {
  public:
    // The transport's handshake is done and nothing has been read from it yet.
    Http2Session(std::unique_ptr<Transport> transport, const ipc::ConnectionMeta& meta,
                 std::uint16_t flags, ConnectionContext context);
    Http2Session(std::unique_ptr<Transport> transport, const ipc::ConnectionMeta& meta,
                 std::uint16_t flags, ConnectionContext context, const http2::Limits& limits);
    ~Http2Session() override;
    Http2Session(const Http2Session&) = delete;
    Http2Session& operator=(const Http2Session&) = delete;

    int fd() const override { return transport_->fd(); }
    bool wants_read() const override;
    bool wants_write() const override;
    Millis deadline() const override;
    Verdict advance() override;
    Verdict on_timeout() override;
    Verdict stop_keep_alive() override;

    // For tests: what nghttp2 holds for this session, and its high-water mark.
    const http2::CountingAllocator& library_memory() const { return allocator_; }

  private:
    friend struct CallbackAccess;  // http2_callbacks.cpp

    bool start_session();
    Verdict run_rounds();
    bool receive();
    void pump_streams();
    bool transmit();
    bool fill_output();
    bool finished() const;
    bool reading_allowed() const;
    std::size_t pending_output() const { return out_.size() - out_sent_; }
    void fail(std::uint32_t error_code, const char* why);
    bool spend_idle_token();
    void note_client_activity() { shared_.active_at = monotonic_ms(); }

    // Called by the nghttp2 callbacks (http2_callbacks.cpp).
    int begin_stream(std::int32_t stream_id);
    void close_stream(std::int32_t stream_id, std::uint32_t error_code);
    http2::Stream* stream(std::int32_t stream_id);

    std::unique_ptr<Transport> transport_;
    http2::CountingAllocator allocator_;
    http2::SessionShared shared_;
    http2::TokenBucket idle_frames_;
    std::unordered_map<std::int32_t, std::unique_ptr<http2::Stream>> streams_;

    std::string out_;  // frames taken from nghttp2, not yet written
    std::size_t out_sent_ = 0;
    bool read_waits_for_write_ = false;  // TLS: the last read needs the socket writable
    bool write_waits_for_read_ = false;  // TLS: the last write needs the socket readable
    bool peer_closed_ = false;
    bool failed_ = false;     // GOAWAY with an error: send it, then close
    bool calm_down_ = false;  // a callback saw a flood: the session fails with ENHANCE_YOUR_CALM
    bool stopping_ = false;
    Millis idle_since_ = 0;  // when the last stream closed (or the session started)
    Millis failed_at_ = 0;
    nghttp2_session* session_ = nullptr;  // last: deleted first (its callbacks see the rest)
};

}  // namespace bulkhead::worker
