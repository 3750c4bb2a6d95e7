#pragma once
// Time as the event loops use it: a monotonic millisecond clock for deadlines, and the HTTP
// date format (RFC 9110, section 5.6.7) for Date, Last-Modified and If-Modified-Since.

#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulkhead {

using Millis = std::int64_t;

// Milliseconds since an arbitrary point; never jumps with the wall clock.
Millis monotonic_ms();

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string format_http_date(time_t when);

// Accepts IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
std::optional<time_t> parse_http_date(std::string_view text);

}  // namespace bulkhead
