#include "worker/body_stream.hpp"

#include <algorithm>

namespace bulkhead::worker {

BodyStream::BodyStream(std::uint64_t content_length, bool chunked, std::uint64_t max_body_bytes)
    : max_(max_body_bytes) {
    if (chunked) {
        kind_ = Kind::chunked;
    } else if (content_length > 0) {
        kind_ = Kind::length;
        remaining_ = content_length;
    }
}

BodyStream::Step BodyStream::decode(std::span<const std::byte> input) {
    Step step;
    if (kind_ == Kind::length) {
        std::size_t room = kBufferBytes - std::min(kBufferBytes, buffered());
        std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>({remaining_, input.size(), room}));
        buffer_.append(input.first(take));
        remaining_ -= take;
        step.consumed = take;
        if (remaining_ == 0)
            kind_ = Kind::none;
        return step;
    }
    while (kind_ == Kind::chunked && buffered() < kBufferBytes && step.consumed < input.size()) {
        // Offer no more than the room left, so one step never overfills the buffer by much.
        std::size_t offer = std::min(input.size() - step.consumed, kBufferBytes - buffered() + 64);
        auto fed = chunked_.feed(input.subspan(step.consumed, offer));
        step.consumed += fed.consumed;
        buffer_.append(fed.data);
        if (fed.status == proto::ChunkedStatus::error)
            return Step{step.consumed, 400};
        if (chunked_.body_bytes() > max_)
            return Step{step.consumed, 413};
        if (fed.status == proto::ChunkedStatus::done)
            kind_ = Kind::none;
        if (fed.consumed == 0)
            break;
    }
    return step;
}

std::span<const std::byte> BodyStream::data() const {
    return buffer_.bytes();
}

void BodyStream::consume(std::size_t bytes) {
    buffer_.consume(bytes);
}

}  // namespace bulkhead::worker
