#pragma once
// The answer for one open regular file: preconditions (304, 412), then a single byte range
// (206, 416) or the whole file (200).

#include <sys/stat.h>

#include <string_view>

#include "base/unique_fd.hpp"
#include "proto/http_head.hpp"
#include "worker/response_plan.hpp"

namespace bulkhead::worker {

// `info` is the fstat of `file`; `content_type` the full header value.
ResponsePlan respond_with_file(const proto::RequestHead& head, UniqueFd file,
                               const struct stat& info, std::string_view content_type);

}  // namespace bulkhead::worker
