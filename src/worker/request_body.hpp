#pragma once
// Reading past a request's body (Content-Length or chunked) so the next request on the
// connection starts where it should. Static files take no body, so the bytes are dropped;
// the limit still applies (413), and the framing is still checked (400).

#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/chunked.hpp"
#include "proto/http_head.hpp"

namespace bulkhead::worker {

class RequestBody {
public:
    RequestBody() = default;
    RequestBody(const proto::RequestHead& head, std::uint64_t max_body_bytes);

    struct Step {
        std::size_t consumed = 0;
        bool done = false;
        int error_status = 0;  // 400 malformed chunked, 413 too large
    };
    // Consumes body bytes from the start of `input`.
    Step consume(std::span<const std::byte> input);
    bool present() const { return kind_ != Kind::none; }
    // 413 at once when a declared length is over the limit.
    bool declared_too_large() const { return kind_ == Kind::length && remaining_ > max_; }

private:
    enum class Kind { none, length, chunked };
    Kind kind_ = Kind::none;
    std::uint64_t remaining_ = 0;
    std::uint64_t max_ = 0;
    proto::ChunkedDecoder chunked_;
};

}  // namespace bulkhead::worker
