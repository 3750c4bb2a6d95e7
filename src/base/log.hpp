#pragma once
// One line per event on stderr: time, role, pid, message. Every role logs the same way so the
// server log reads as one story (INTERFACE.md, "Logs").

#include <sstream>
#include <string>
#include <string_view>

namespace bulkhead::log {

enum class Level { debug, info, warning, error };

// Set once by each role's entry point ("master", "dispatcher", "worker alpha").
void set_role(std::string_view role);
void set_min_level(Level level);
void write(Level level, std::string_view message);

template <typename... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

template <typename... Parts>
void debug(const Parts&... parts) {
    write(Level::debug, concat(parts...));
}
template <typename... Parts>
void info(const Parts&... parts) {
    write(Level::info, concat(parts...));
}
template <typename... Parts>
void warning(const Parts&... parts) {
    write(Level::warning, concat(parts...));
}
template <typename... Parts>
void error(const Parts&... parts) {
    write(Level::error, concat(parts...));
}

// strerror as a std::string, for "what failed: why" messages.
std::string errno_text(int error_number);

}  // namespace bulkhead::log
