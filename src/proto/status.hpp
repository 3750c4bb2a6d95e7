#pragma once
// Reason phrases for the status codes bulkhead sends.

#include <string_view>

namespace bulkhead::proto {

std::string_view reason_phrase(int status);

}  // namespace bulkhead::proto
