#include "base/log.hpp"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace bulkhead::log {
namespace {

std::string g_role = "bulkhead";
Level g_min_level = Level::info;

const char* level_name(Level level) {
    switch (level) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warning: return "warning";
        case Level::error: return "error";
    }
    return "?";
}

}  // namespace

void set_role(std::string_view role) { g_role = role; }
void set_min_level(Level level) { g_min_level = level; }

void write(Level level, std::string_view message) {
    if (level < g_min_level) return;
    struct timespec now {};
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm parts {};
    gmtime_r(&now.tv_sec, &parts);
    // snprintf, not strftime: strftime may read /etc/localtime, which a confined role cannot.
    char stamp[40];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  now.tv_nsec / 1000000);
    std::string line = concat(stamp, ' ', g_role, '[', getpid(), "] ", level_name(level), ": ",
                              message, '\n');
    // One write(2) per line so lines of concurrent processes never interleave.
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

std::string errno_text(int error_number) {
    char buffer[128];
    return strerror_r(error_number, buffer, sizeof buffer);
}

}  // namespace bulkhead::log
