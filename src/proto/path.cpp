#include "proto/path.hpp"

#include <algorithm>

namespace bulkhead::proto {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Decoding comes before dot-segment removal, so "%2e%2e" is a ".." like any other and cannot
// slip past it. NUL, raw or escaped, is refused: a file name would end there.
PathError percent_decode(std::string_view in, std::string& out) {
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size())
                return PathError::bad_escape;
            const int high = hex_value(in[i + 1]);
            const int low = hex_value(in[i + 2]);
            if (high < 0 || low < 0)
                return PathError::bad_escape;
            c = static_cast<char>(high * 16 + low);
            i += 2;
        }
        if (c == '\0')
            return PathError::nul_byte;
        out.push_back(c);
    }
    return PathError::none;
}

// RFC 3986 5.2.4 over segments, plus empty segments dropped ("a//b" is "a/b"). A ".." with
// nothing left to remove is an error, not clamped to the root: such a request is an attack or
// a broken client, and answering it as "/" would hide that.
PathOutcome remove_dot_segments(std::string_view decoded) {
    PathOutcome outcome;
    std::string& relative = outcome.path.relative;
    bool ends_in_dot = false;
    for (std::size_t start = 1; start <= decoded.size();) {
        const std::size_t slash = std::min(decoded.find('/', start), decoded.size());
        const std::string_view segment = decoded.substr(start, slash - start);
        start = slash + 1;
        if (segment.empty())
            continue;
        ends_in_dot = segment == "." || segment == "..";
        if (segment == "..") {
            if (relative.empty())
                return {PathError::escapes_root, {}};
            const std::size_t last = relative.rfind('/');
            relative.resize(last == std::string::npos ? 0 : last);
        } else if (segment != ".") {
            if (!relative.empty())
                relative.push_back('/');
            relative.append(segment);
        }
    }
    outcome.path.trailing_slash = decoded.ends_with('/') || ends_in_dot;
    return outcome;
}

}  // namespace

PathOutcome normalize_path(std::string_view path) {
    if (path.empty() || path.front() != '/')
        return {PathError::not_absolute, {}};
    std::string decoded;
    if (PathError error = percent_decode(path, decoded); error != PathError::none) {
        return {error, {}};
    }
    return remove_dot_segments(decoded);
}

// An empty path before a query comes from an absolute-form target such as "http://a.example?q"
// (RFC 3986 6.2.3: the same resource as "/?q").
SplitTarget split_target(std::string_view path_and_query) {
    SplitTarget split;
    const std::size_t question = path_and_query.find('?');
    split.path = path_and_query.substr(0, question);
    if (question == std::string_view::npos)
        return split;
    split.query = path_and_query.substr(question + 1);
    split.has_query = true;
    if (split.path.empty())
        split.path = "/";
    return split;
}

}  // namespace bulkhead::proto
