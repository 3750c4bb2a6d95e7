// The head of a CGI or FastCGI response, from a hostile application: parse_cgi_head() never
// reads past its input, never lets a control byte into a field, and its verdict on a complete
// head does not change when more bytes follow it (the body).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "proto/cgi_response.hpp"

namespace {

using namespace bulkhead::proto;

void require(bool condition) {
    if (!condition)
        std::abort();
}

bool has_control(std::string_view text) {
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c != '\t' && (u < 0x20 || u == 0x7f))
            return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    CgiHead head;
    CgiHeadOutcome outcome = parse_cgi_head(input, 4096, head);
    if (outcome.status != ParseStatus::complete)
        return 0;
    require(outcome.consumed <= size);
    require(head.status || head.location || head.has_content_type);
    for (std::size_t i = 0; i < head.field_count; ++i) {
        require(!head.fields[i].name.empty());
        require(!has_control(head.fields[i].name) && !has_control(head.fields[i].value));
    }
    if (head.status)
        require(*head.status >= 200 && *head.status <= 599);
    std::string longer(reinterpret_cast<const char*>(data), size);
    longer += "\r\ntrailing body bytes\n\n";
    CgiHead again;
    CgiHeadOutcome second =
        parse_cgi_head(std::span<const std::byte>(reinterpret_cast<const std::byte*>(longer.data()),
                                                  longer.size()),
                       4096, again);
    require(second.status == ParseStatus::complete && second.consumed == outcome.consumed);
    require(again.field_count == head.field_count && again.status == head.status);
    return 0;
}
