#include "proto/chunked.hpp"

#include <algorithm>

namespace bulkhead::proto {
namespace {

// A size line (digits and extensions) longer than this is an attack on our patience, not a
// chunk: extensions are skipped byte by byte, so without a bound they would never end.
constexpr std::size_t kMaxSizeLine = 4096;
constexpr std::size_t kMaxTrailerSection = 8 * 1024;

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Bytes that may not appear inside a line: CTLs except HTAB (CR and LF are handled by the
// states that end lines).
bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::feed(std::span<const std::byte> input) {
    Step step;
    std::size_t pos = 0;
    while (pos < input.size() && state_ != State::done && state_ != State::error) {
        if (state_ == State::data) {
            const auto take =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - pos));
            step.data = input.subspan(pos, take);
            pos += take;
            remaining_ -= take;
            body_bytes_ += take;
            if (remaining_ == 0)
                state_ = State::data_cr;
            break;  // one run of data per call: the caller consumes it before going on
        }
        if (!on_byte(static_cast<char>(input[pos]))) {
            state_ = State::error;
            break;
        }
        ++pos;
    }
    step.consumed = pos;
    if (state_ == State::done)
        step.status = ChunkedStatus::done;
    if (state_ == State::error)
        step.status = ChunkedStatus::error;
    return step;
}

bool ChunkedDecoder::on_byte(char c) {
    switch (state_) {
        case State::size:
            return on_size(c);
        case State::size_ws:
            return on_size_ws(c);
        case State::extension:
            return on_extension(c);
        case State::size_lf:
            return on_size_lf(c);
        case State::data_cr:
            return expect(c, '\r', State::data_lf);
        case State::data_lf:
            return expect(c, '\n', State::size);
        case State::trailer:
            return on_trailer(c);
        case State::trailer_lf:
            return on_trailer_lf(c);
        default:
            return false;  // data, done and error never get here
    }
}

bool ChunkedDecoder::expect(char c, char wanted, State next) {
    state_ = next;
    return c == wanted;
}

bool ChunkedDecoder::count_size_line_byte() {
    return ++line_bytes_ <= kMaxSizeLine;
}

// 1*HEXDIG. Sizes of 2^63 and above are refused, so the size fits an off_t and never wraps.
bool ChunkedDecoder::on_size(char c) {
    if (const int digit = hex_value(c); digit >= 0) {
        if (remaining_ >> 59 != 0)
            return false;
        remaining_ = remaining_ << 4 | static_cast<std::uint64_t>(digit);
        size_digits_ = true;
        return count_size_line_byte();
    }
    if (!size_digits_)
        return false;  // an empty size
    if (c == '\r') {
        state_ = State::size_lf;
        return true;
    }
    if (c == ';') {
        state_ = State::extension;
    } else if (c == ' ' || c == '\t') {
        state_ = State::size_ws;
    } else {
        return false;
    }
    return count_size_line_byte();
}

// RFC 9112 7.1.1 allows whitespace before ';' only: "5 \r\n" is refused, since parsers disagree
// about it.
bool ChunkedDecoder::on_size_ws(char c) {
    if (c == ';') {
        state_ = State::extension;
    } else if (c != ' ' && c != '\t') {
        return false;
    }
    return count_size_line_byte();
}

bool ChunkedDecoder::on_extension(char c) {
    if (c == '\r') {
        state_ = State::size_lf;
        return true;
    }
    return !is_control(c) && count_size_line_byte();
}

bool ChunkedDecoder::on_size_lf(char c) {
    if (c != '\n')
        return false;
    state_ = remaining_ == 0 ? State::trailer : State::data;
    line_bytes_ = 0;
    size_digits_ = false;
    return true;
}

// Trailer fields are read and dropped: nothing in bulkhead uses them.
bool ChunkedDecoder::on_trailer(char c) {
    if (++trailer_bytes_ > kMaxTrailerSection)
        return false;
    if (c == '\r') {
        state_ = State::trailer_lf;
        return true;
    }
    trailer_line_empty_ = false;
    return !is_control(c);
}

bool ChunkedDecoder::on_trailer_lf(char c) {
    if (c != '\n' || ++trailer_bytes_ > kMaxTrailerSection)
        return false;
    state_ = trailer_line_empty_ ? State::done : State::trailer;
    trailer_line_empty_ = true;
    return true;
}

}  // namespace bulkhead::proto
