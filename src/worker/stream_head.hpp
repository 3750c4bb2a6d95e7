#pragma once
// The status line and header block of a streamed response (one a handler produces as it goes),
// with the framing the connection chose: a Content-Length, chunked, or none (close-delimited,
// or a response that has no body).

#include <cstdint>
#include <optional>
#include <string>

#include "worker/exchange.hpp"

namespace bulkhead::worker {

enum class BodyFraming { none, length, chunked, close_delimited };

// `length` is used with BodyFraming::length (and repeated for a HEAD answer, where it is known).
void append_stream_head(std::string& out, const StreamHead& head, BodyFraming framing,
                        bool keep_alive, bool http10_client);

// One chunk of the chunked coding ("1a\r\n" data "\r\n"); empty data is not a chunk.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace bulkhead::worker
