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
        std::size_t consumed = 0;         // bytes of input used
        std::span<const std::byte> data;  // body bytes in this step (a view into the input)
    };

    // Decodes from the start of `input`; returns at the latest after one run of data bytes,
    // so a caller loops while consumed > 0 and status == need_more. `done` is returned with the
    // consumed count ending right after the final CRLF (bytes after it are not touched), and
    // again with 0 on later calls; an error is final too.
    Step feed(std::span<const std::byte> input);
    std::uint64_t body_bytes() const { return body_bytes_; }

  private:
    enum class State {
        size,       // hex digits of the chunk size
        size_ws,    // whitespace after the size, before ';' (BWS)
        extension,  // a chunk extension, skipped
        size_lf,    // the LF of the size line
        data,       // `remaining_` data bytes
        data_cr,    // the CRLF after the data
        data_lf,
        trailer,     // a trailer field line (or the final empty line), dropped
        trailer_lf,  // the LF of a trailer line
        done,
        error,
    };

    bool on_byte(char c);
    bool on_size(char c);
    bool on_size_ws(char c);
    bool on_extension(char c);
    bool on_size_lf(char c);
    bool on_trailer(char c);
    bool on_trailer_lf(char c);
    bool expect(char c, char wanted, State next);
    bool count_size_line_byte();

    State state_ = State::size;
    std::uint64_t remaining_ = 0;
    std::uint64_t body_bytes_ = 0;
    std::size_t line_bytes_ = 0;     // bytes in the current size line (digits + extension)
    std::size_t trailer_bytes_ = 0;  // bytes of the whole trailer section so far
    bool size_digits_ = false;
    bool trailer_line_empty_ = true;
};

}  // namespace bulkhead::proto
