#pragma once
// The numbers that bound one HTTP/2 session: what we announce in SETTINGS, what nghttp2 is told
// to enforce, and the budgets the session keeps itself. Each says which attack it answers;
// together they keep a session's memory bounded whatever the client sends.

#include <cstddef>
#include <cstdint>

namespace bulkhead::worker::http2 {

struct Limits {
    // SETTINGS_MAX_CONCURRENT_STREAMS; nghttp2 refuses streams beyond it.
    std::uint32_t max_concurrent_streams = 100;
    // SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a client may send on one stream before
    // the handler consumed them (WINDOW_UPDATE follows consumption only).
    std::uint32_t stream_window = 1 << 20;
    // The connection's receive window: bounds the unconsumed request body of all streams.
    std::uint32_t connection_window = 2 << 20;
    // SETTINGS_MAX_HEADER_LIST_SIZE and the cap on one request's decoded header bytes (HPACK
    // bombs, CONTINUATION floods): site.max_header_bytes.
    std::uint32_t max_header_bytes = 16 * 1024;
    std::size_t max_header_fields = 100;  // as HTTP/1.1's parser: more is 431
    // CONTINUATION frames after one HEADERS frame before the session is closed.
    std::size_t max_continuations = 8;
    // SETTINGS entries in one frame, and outgoing SETTINGS/PING ACKs queued for a client that
    // does not read (PING and SETTINGS floods).
    std::size_t max_settings_entries = 32;
    std::size_t max_outbound_acks = 256;
    // Frames that cost us work but carry no request (RST_STREAM: rapid reset, CVE-2023-44487;
    // SETTINGS, PING, PRIORITY, empty DATA, invalid frames, streams we had to reset before
    // answering them): our own token bucket; empty means GOAWAY with ENHANCE_YOUR_CALM.
    std::uint32_t idle_frame_burst = 1000;
    std::uint32_t idle_frame_rate_per_s = 100;
    // nghttp2's own RST_STREAM bucket, a backstop behind ours (it answers INTERNAL_ERROR).
    std::uint64_t reset_burst = 2000;
    std::uint64_t reset_rate_per_s = 100;
    // nghttp2's own allocations for the session (HPACK tables, frame queues, stream state).
    std::size_t max_library_bytes = 16 << 20;
    // Response bytes queued for the socket before we stop taking more from nghttp2 (and stop
    // reading the client, whose requests would only add to it).
    std::size_t output_high_water = 128 * 1024;
    // Response body bytes a handler may queue on one stream, and on all streams of a session.
    std::size_t stream_output_bytes = 64 * 1024;
    std::size_t session_output_bytes = 1 << 20;
    // Socket reads per advance() before other connections get their turn.
    std::size_t reads_per_advance = 16;
};

}  // namespace bulkhead::worker::http2
