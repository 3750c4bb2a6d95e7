#pragma once
// The few answers the dispatcher gives itself, always followed by closing the connection:
// malformed (400), slow (408), oversized (431, 414), unsupported (501, 505), names no site
// owns (421 or 404, per server.unknown_host) and no worker able to take it (503).

#include <string>

namespace bulkhead::dispatcher {

// The complete response bytes, with "Connection: close".
const std::string& canned_response(int status);

}  // namespace bulkhead::dispatcher
