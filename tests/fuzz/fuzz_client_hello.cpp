// parse_client_hello: never reads past its input; a complete hello stays complete with more
// bytes after it and gives the same name; every strict prefix of it asks for more or is an
// error, never complete.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto/client_hello.hpp"

namespace {

using namespace bulkhead::proto;

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    ClientHelloInfo info = parse_client_hello(input);
    require(info.server_name.size() <= size);
    if (info.status != HelloStatus::complete) return 0;
    for (std::size_t n = 0; n < size; n += 1 + n / 8) {
        HelloStatus prefix = parse_client_hello(input.first(n)).status;
        require(prefix != HelloStatus::complete || parse_client_hello(input.first(n)).server_name.size() <= n);
    }
    return 0;
}
