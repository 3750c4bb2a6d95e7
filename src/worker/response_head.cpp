#include "worker/response_head.hpp"

#include <time.h>

#include "base/clock.hpp"
#include "proto/status.hpp"

namespace bulkhead::worker {

const std::string& current_http_date() {
    static time_t formatted_for = 0;
    static std::string text;
    time_t now = time(nullptr);
    if (now != formatted_for) {
        text = format_http_date(now);
        formatted_for = now;
    }
    return text;
}

void append_response_head(std::string& out, const ResponsePlan& plan,
                          const ResponseFraming& framing) {
    out += "HTTP/1.1 ";
    out += std::to_string(plan.status);
    out += ' ';
    out += proto::reason_phrase(plan.status);
    out += "\r\nServer: bulkhead\r\nDate: ";
    out += current_http_date();
    out += "\r\n";
    // 304 and 1xx carry no Content-Length of their own (RFC 9110 8.6).
    if (plan.status != 304) {
        out += "Content-Length: ";
        out += std::to_string(plan.length);
        out += "\r\n";
    }
    if (!framing.keep_alive) {
        out += "Connection: close\r\n";
    } else if (framing.http10_client) {
        out += "Connection: keep-alive\r\n";
    }
    out += plan.headers;
    out += "\r\n";
}

}  // namespace bulkhead::worker
