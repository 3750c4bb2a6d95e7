#pragma once
// The status line and header block of a response, in one buffer.

#include <ctime>
#include <string>

#include "worker/response_plan.hpp"

namespace bulkhead::worker {

struct ResponseFraming {
    bool keep_alive = true;
    bool http10_client = false;  // say "Connection: keep-alive" explicitly to HTTP/1.0
};

// Appends the head for `plan` to `out`.
void append_response_head(std::string& out, const ResponsePlan& plan, const ResponseFraming& framing);

// The Date header value, formatted at most once a second.
const std::string& current_http_date();

}  // namespace bulkhead::worker
