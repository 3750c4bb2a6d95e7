// normalize_path: a result never starts with '/', never holds an empty, "." or ".." segment nor
// a NUL, and normalizing it again (when it holds no '%' to decode) changes nothing. split_target
// gives back the parts of its input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/path.hpp"

namespace {

using namespace bulkhead::proto;

void require(bool condition) {
    if (!condition)
        std::abort();
}

void check_relative(const std::string& relative) {
    if (relative.empty())
        return;
    require(relative.front() != '/' && relative.back() != '/');
    require(relative.find('\0') == std::string::npos);
    std::string_view rest = relative;
    while (true) {
        const std::size_t slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        require(!segment.empty() && segment != "." && segment != "..");
        if (slash == std::string_view::npos)
            break;
        rest.remove_prefix(slash + 1);
    }
}

void check_normalize(std::string_view input) {
    const PathOutcome outcome = normalize_path(input);
    const bool plain = input.starts_with('/') && input.find('%') == std::string_view::npos &&
                       input.find('\0') == std::string_view::npos;
    if (plain)
        require(outcome.error == PathError::none || outcome.error == PathError::escapes_root);
    if (outcome.error != PathError::none)
        return;
    check_relative(outcome.path.relative);
    if (outcome.path.relative.find('%') != std::string::npos)
        return;
    const PathOutcome again = normalize_path("/" + outcome.path.relative);
    require(again.error == PathError::none && again.path.relative == outcome.path.relative);
}

void check_split(std::string_view input) {
    const SplitTarget split = split_target(input);
    const std::string_view path = split.has_query && input.starts_with('?') ? "" : split.path;
    std::string joined(path);
    if (split.has_query)
        joined += "?" + std::string(split.query);
    require(joined == input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_normalize(input);
    check_split(input);
    return 0;
}
