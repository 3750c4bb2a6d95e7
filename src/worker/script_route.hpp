#pragma once
// Which requests run a program, and which one: the first path segment that ends with a CGI or
// FastCGI extension and is a regular file beneath the document root is the script; the rest of
// the path is PATH_INFO ("/index.php/a/b" → script "/index.php", PATH_INFO "/a/b"), as Apache
// and nginx split it. A directory request runs the first existing index file if that one has a
// handler's extension. Everything else is a static file.

#include <string>

#include "proto/cgi_environment.hpp"
#include "proto/http_head.hpp"
#include "worker/exchange.hpp"
#include "worker/site.hpp"

namespace bulkhead::worker {

enum class ScriptHandler { none, cgi, fastcgi };

struct ScriptRoute {
    ScriptHandler handler = ScriptHandler::none;
    std::string relative;     // "dir/app.cgi", beneath the document root
    std::string script_name;  // "/dir/app.cgi"
    std::string path_info;    // "/a/b", or ""
    int error_status = 0;     // 404 or 403: the script named cannot be run
};

// Looks at the request's path (and the file system beneath the root, without following a
// symlink out of it). handler none: a static file.
ScriptRoute find_script(const Site& site, const proto::RequestHead& head);

// The CGI meta-variables (also the FastCGI parameters) of a request for `route`.
proto::MetaVariables script_meta_variables(const Site& site, const ScriptRoute& route,
                                           const Request& request);

}  // namespace bulkhead::worker
