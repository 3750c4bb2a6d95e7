// The chunked decoder fed in random splits gives the same body, status and consumed count as
// fed all at once. The first two input bytes seed the split sizes; the rest is the body.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "proto/chunked.hpp"

namespace {

using namespace bulkhead::proto;

void require(bool condition) {
    if (!condition)
        std::abort();
}

struct Decoded {
    ChunkedStatus status = ChunkedStatus::need_more;
    std::string body;
    std::size_t consumed = 0;
    std::uint64_t body_bytes = 0;
};

// The next piece size, 1..16, from a small xorshift generator.
std::size_t next_piece(std::uint32_t& state) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return 1 + state % 16;
}

// Offers the decoder what it has not consumed yet plus the next piece, as a reader would.
// `seed` 0 means everything at once.
Decoded decode(std::span<const std::byte> input, std::uint32_t seed) {
    ChunkedDecoder decoder;
    Decoded out;
    std::size_t received = 0;
    while (true) {
        received = seed == 0 ? input.size() : std::min(input.size(), received + next_piece(seed));
        ChunkedDecoder::Step step;
        do {
            step = decoder.feed(input.subspan(out.consumed, received - out.consumed));
            require(step.consumed <= received - out.consumed);
            require(step.data.size() <= step.consumed);
            out.body.append(reinterpret_cast<const char*>(step.data.data()), step.data.size());
            out.consumed += step.consumed;
        } while (step.consumed > 0 && step.status == ChunkedStatus::need_more);
        out.status = step.status;
        if (out.status != ChunkedStatus::need_more || received == input.size())
            break;
    }
    out.body_bytes = decoder.body_bytes();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::uint32_t seed = (std::uint32_t{data[0]} << 8 | data[1]) + 1;
    const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + 2), size - 2);
    const Decoded whole = decode(body, 0);
    const Decoded split = decode(body, seed);
    require(whole.status == split.status);
    require(whole.body == split.body);
    require(whole.consumed == split.consumed);
    require(whole.body_bytes == whole.body.size() && split.body_bytes == split.body.size());
    if (whole.status == ChunkedStatus::need_more)
        require(whole.consumed == body.size());
    return 0;
}
