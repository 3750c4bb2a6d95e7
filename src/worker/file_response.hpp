#pragma once
// The answer for one open regular file: preconditions (304, 412), then a single byte range
// (206, 416) or the whole file (200).

#include "proto/http_head.hpp"
#include "worker/response_plan.hpp"

namespace bulkhead::worker {

ResponsePlan respond_with_file(const proto::RequestHead& head, SharedFile file);

}  // namespace bulkhead::worker
