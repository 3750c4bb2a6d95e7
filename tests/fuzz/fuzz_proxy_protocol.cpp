// parse_proxy_header: never reads past its input, a complete header's length lies within the
// input, a complete header stays complete with more bytes after it, and every strict prefix of
// a complete header asks for more.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto/proxy_protocol.hpp"

namespace {

using namespace bulkhead::proto;

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    ProxyHeader header = parse_proxy_header(input);
    if (header.status != ProxyStatus::complete) return 0;
    require(header.consumed > 0 && header.consumed <= size);
    require(header.source.family == 0 || header.source.family == 4 || header.source.family == 6);
    ProxyHeader again = parse_proxy_header(input.first(header.consumed));
    require(again.status == ProxyStatus::complete && again.consumed == header.consumed);
    for (std::size_t n = 1; n < header.consumed; n += 1 + n / 8) {
        require(parse_proxy_header(input.first(n)).status == ProxyStatus::need_more);
    }
    return 0;
}
