#include "worker/request_body.hpp"

#include <algorithm>

namespace bulkhead::worker {

RequestBody::RequestBody(const proto::RequestHead& head, std::uint64_t max_body_bytes)
    : max_(max_body_bytes) {
    if (head.chunked) {
        kind_ = Kind::chunked;
    } else if (head.content_length && *head.content_length > 0) {
        kind_ = Kind::length;
        remaining_ = *head.content_length;
    }
}

RequestBody::Step RequestBody::consume(std::span<const std::byte> input) {
    Step step;
    if (kind_ == Kind::none) {
        step.done = true;
    } else if (kind_ == Kind::length) {
        step.consumed = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
        remaining_ -= step.consumed;
        step.done = remaining_ == 0;
    } else {
        while (step.consumed < input.size() && !step.done) {
            auto fed = chunked_.feed(input.subspan(step.consumed));
            step.consumed += fed.consumed;
            if (fed.status == proto::ChunkedStatus::error)
                return Step{step.consumed, false, 400};
            step.done = fed.status == proto::ChunkedStatus::done;
            if (fed.consumed == 0)
                break;
        }
        if (chunked_.body_bytes() > max_)
            return Step{step.consumed, false, 413};
    }
    if (step.done)
        kind_ = Kind::none;
    return step;
}

}  // namespace bulkhead::worker
