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
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &parts);
    std::string line = concat(stamp, '.', now.tv_nsec / 1000000 / 100, (now.tv_nsec / 1000000) % 100 / 10,
                              (now.tv_nsec / 1000000) % 10, "Z ", g_role, '[', getpid(), "] ",
                              level_name(level), ": ", message, '\n');
    // One write(2) per line so lines of concurrent processes never interleave.
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

std::string errno_text(int error_number) {
    char buffer[128];
    return strerror_r(error_number, buffer, sizeof buffer);
}

}  // namespace bulkhead::log
