#pragma once
// Conditional requests against a static file (RFC 9110 13.2.2): the preconditions in the order
// the RFC evaluates them, and If-Range.

#include <time.h>

#include <string_view>

#include "proto/http_head.hpp"

namespace bulkhead::worker {

// What the client can compare with: the file's strong entity tag and its Last-Modified time.
struct Validators {
    std::string_view entity_tag;  // quoted, strong
    time_t last_modified = 0;
};

enum class Precondition {
    proceed,       // no condition, or all hold: answer normally
    not_modified,  // 304
    failed,        // 412
};

// Only for GET and HEAD, the only methods static files answer.
Precondition evaluate_preconditions(const proto::RequestHead& head, const Validators& validators);

// Whether a Range header may be honoured: no If-Range, or one that names the current
// representation (a strong tag match, or exactly its Last-Modified date).
bool if_range_holds(const proto::RequestHead& head, const Validators& validators);

}  // namespace bulkhead::worker
