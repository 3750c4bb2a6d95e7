#pragma once
// The Range request header (RFC 9110 14.2), single byte ranges only: a server may ignore
// multi-range requests and send the whole representation, which is what we do.

#include <cstdint>
#include <string_view>

namespace bulkhead::proto {

enum class RangeVerdict {
    ignore,         // absent, malformed, multi-range or not "bytes": serve 200 with the whole body
    satisfiable,    // serve 206 with [first, last]
    unsatisfiable,  // serve 416 with "Content-Range: bytes */size"
};

struct RangeResult {
    RangeVerdict verdict = RangeVerdict::ignore;
    std::uint64_t first = 0;  // inclusive
    std::uint64_t last = 0;   // inclusive
};

RangeResult evaluate_range(std::string_view header_value, std::uint64_t size);

}  // namespace bulkhead::proto
