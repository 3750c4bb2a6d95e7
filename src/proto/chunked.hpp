#pragma once
// Incremental decoder for the chunked transfer coding (RFC 9112 7.1). Feed it bytes as they
// arrive; it reports how many it consumed and hands out the data bytes. Chunk extensions are
// skipped (bounded), trailers are read and dropped (bounded). Strict line endings (CRLF only).

#include <cstddef>
#include <cstdint>
#include <span>

namespace bulkhead::proto {

enum class ChunkedStatus { need_more, done, error };

class ChunkedDecoder {
public:
    struct Step {
        ChunkedStatus status = ChunkedStatus::need_more;
        std::size_t consumed = 0;          // bytes of input used
        std::span<const std::byte> data;   // body bytes in this step (a view into the input)
    };

    // Decodes from the start of `input`; returns at the latest after one run of data bytes,
    // so a caller loops while consumed > 0 and status == need_more.
    Step feed(std::span<const std::byte> input);
    std::uint64_t body_bytes() const { return body_bytes_; }

private:
    enum class State { size, extension, size_lf, data, data_cr, data_lf, trailer, trailer_lf,
                       final_lf, done };
    State state_ = State::size;
    std::uint64_t remaining_ = 0;
    std::uint64_t body_bytes_ = 0;
    std::size_t line_bytes_ = 0;  // bytes in the current size/extension/trailer line
    bool size_digits_ = false;
    bool trailer_empty_ = true;
};

}  // namespace bulkhead::proto
