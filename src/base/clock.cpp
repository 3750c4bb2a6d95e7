#include "base/clock.hpp"

#include <cstdio>
#include <cstring>

namespace bulkhead {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<time_t> parse_with(std::string_view text, const char* format) {
    std::string copy(text);
    struct tm parts {};
    const char* end = strptime(copy.c_str(), format, &parts);
    if (end == nullptr || *end != '\0') return std::nullopt;
    return timegm(&parts);
}

}  // namespace

Millis monotonic_ms() {
    struct timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<Millis>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

std::string format_http_date(time_t when) {
    struct tm parts {};
    gmtime_r(&when, &parts);
    char text[40];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[parts.tm_wday],
                  parts.tm_mday, kMonths[parts.tm_mon], parts.tm_year + 1900, parts.tm_hour,
                  parts.tm_min, parts.tm_sec);
    return text;
}

std::optional<time_t> parse_http_date(std::string_view text) {
    if (text.size() > 64) return std::nullopt;
    // strptime is locale-dependent for names; the C locale is what every role runs in.
    for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                               "%a %b %e %H:%M:%S %Y"}) {
        if (auto when = parse_with(text, format)) return when;
    }
    return std::nullopt;
}

}  // namespace bulkhead
