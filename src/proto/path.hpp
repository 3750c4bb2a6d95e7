#pragma once
// The path of a request target as a file name beneath the document root: percent-decoded,
// dot segments removed (RFC 3986 5.2.4), empty segments collapsed. The result never starts
// with "/" and never contains a ".." segment; the file is then opened with
// openat2(RESOLVE_BENEATH), which is the real guard against escape (symlinks included).

#include <optional>
#include <string>
#include <string_view>

namespace bulkhead::proto {

enum class PathError {
    none,
    not_absolute,  // does not start with '/'
    bad_escape,    // '%' not followed by two hex digits
    nul_byte,      // %00 or a raw NUL
    escapes_root,  // ".." above the root
};

struct NormalizedPath {
    std::string relative;         // "a/b/c.html", or "" for the root
    bool trailing_slash = false;  // the request named a directory ("/a/b/")
};

struct PathOutcome {
    PathError error = PathError::none;
    NormalizedPath path;
};

// `path` is the target's path without the query ("?...").
PathOutcome normalize_path(std::string_view path);

// Splits "/a/b?x=1" into "/a/b" and "x=1" (query without '?', empty if none). A query with an
// empty path ("?x=1", from the absolute-form "http://a.example?x=1") gets the path "/".
struct SplitTarget {
    std::string_view path;
    std::string_view query;
    bool has_query = false;
};
SplitTarget split_target(std::string_view path_and_query);

}  // namespace bulkhead::proto
