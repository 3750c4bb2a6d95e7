#pragma once
// The body of a request answered by a handler, decoded from its framing (Content-Length or
// chunked) into a buffer the handler takes from. The buffer holds at most kBufferBytes ahead of
// the handler: while it is full the connection stops reading the client (back-pressure), so a
// body of any size passes through without being held whole.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "proto/chunked.hpp"
#include "worker/byte_queue.hpp"

namespace bulkhead::worker {

class BodyStream {
  public:
    static constexpr std::size_t kBufferBytes = 256 * 1024;

    BodyStream() = default;
    // `content_length` 0 and not chunked: no body.
    BodyStream(std::uint64_t content_length, bool chunked, std::uint64_t max_body_bytes);

    struct Step {
        std::size_t consumed = 0;
        int error_status = 0;  // 400 malformed chunked, 413 too large
    };
    // Decodes from the start of `input` as far as the buffer has room.
    Step decode(std::span<const std::byte> input);

    std::span<const std::byte> data() const;
    void consume(std::size_t bytes);
    // Every body byte has been decoded (some may still wait in data()).
    bool complete() const { return kind_ == Kind::none; }
    bool wants_input() const { return !complete() && buffered() < kBufferBytes; }

  private:
    enum class Kind { none, length, chunked };
    std::size_t buffered() const { return buffer_.size(); }

    Kind kind_ = Kind::none;
    std::uint64_t remaining_ = 0;
    std::uint64_t max_ = 0;
    proto::ChunkedDecoder chunked_;
    ByteQueue buffer_;
};

}  // namespace bulkhead::worker
