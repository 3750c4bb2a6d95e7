#include "worker/stream_head.hpp"

#include "proto/status.hpp"
#include "worker/response_head.hpp"

namespace bulkhead::worker {

void append_stream_head(std::string& out, const StreamHead& head, BodyFraming framing,
                        bool keep_alive, bool http10_client) {
    out += "HTTP/1.1 ";
    out += std::to_string(head.status);
    out += ' ';
    out += head.reason.empty() ? proto::reason_phrase(head.status) : std::string_view(head.reason);
    out += "\r\nServer: bulkhead\r\nDate: ";
    out += current_http_date();
    out += "\r\n";
    if (framing == BodyFraming::length ||
        (framing == BodyFraming::none && head.length && head.status != 204 && head.status != 304)) {
        out += "Content-Length: ";
        out += std::to_string(head.length.value_or(0));
        out += "\r\n";
    } else if (framing == BodyFraming::chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    }
    if (!keep_alive || framing == BodyFraming::close_delimited) {
        out += "Connection: close\r\n";
    } else if (http10_client) {
        out += "Connection: keep-alive\r\n";
    }
    out += head.headers;
    out += "\r\n";
}

void append_chunk(std::string& out, std::string_view data) {
    static constexpr char kHex[] = "0123456789abcdef";
    char size[16];
    int at = sizeof size;
    std::size_t n = data.size();
    do {
        size[--at] = kHex[n & 0xf];
        n >>= 4;
    } while (n != 0);
    out.append(size + at, sizeof size - static_cast<std::size_t>(at));
    out += "\r\n";
    out += data;
    out += "\r\n";
}

}  // namespace bulkhead::worker
