#include "worker/script_route.hpp"

#include "worker/open_beneath.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.hpp"
#include "proto/path.hpp"

namespace bulkhead::worker {
namespace {

bool ends_with_any(std::string_view name, const std::vector<std::string>& extensions) {
    for (const std::string& extension : extensions) {
        if (name.size() > extension.size() && name.ends_with(extension))
            return true;
    }
    return false;
}

ScriptHandler handler_for(const Site& site, std::string_view name) {
    if (site.cgi && ends_with_any(name, site.cgi->extensions))
        return ScriptHandler::cgi;
    if (site.fastcgi && ends_with_any(name, site.fastcgi->extensions))
        return ScriptHandler::fastcgi;
    return ScriptHandler::none;
}

// What is at `relative` beneath the root, or the errno (EXDEV for a symlink out of the root).
int stat_beneath(int root_fd, const std::string& relative, struct stat& info) {
    OpenedFile opened = open_beneath(root_fd, relative.c_str(), OpenMode::path);
    info = opened.info;
    return opened.error;
}

int status_for(int error) {
    return (error == EACCES || error == EPERM) ? 403 : 404;
}

ScriptRoute script_at(ScriptHandler handler, std::string relative, std::string path_info) {
    ScriptRoute route;
    route.handler = handler;
    route.script_name = "/" + relative;
    route.relative = std::move(relative);
    route.path_info = std::move(path_info);
    return route;
}

// "a/x.php/b": x.php is the script if it is a file; a directory named x.php is passed through.
std::optional<ScriptRoute> script_in_path(const Site& site, const proto::NormalizedPath& path) {
    const std::string& relative = path.relative;
    std::size_t start = 0;
    while (start < relative.size()) {
        std::size_t end = relative.find('/', start);
        if (end == std::string::npos)
            end = relative.size();
        ScriptHandler handler =
            handler_for(site, std::string_view(relative).substr(start, end - start));
        if (handler != ScriptHandler::none) {
            std::string prefix = relative.substr(0, end);
            struct stat info {};
            int error = stat_beneath(site.root_fd.get(), prefix, info);
            if (error == 0 && S_ISREG(info.st_mode)) {
                std::string path_info = relative.substr(end);
                if (path.trailing_slash)
                    path_info += '/';
                return script_at(handler, std::move(prefix), std::move(path_info));
            }
            if (error != 0 || !S_ISDIR(info.st_mode)) {
                ScriptRoute refused;
                refused.handler = handler;
                refused.error_status = error != 0 ? status_for(error) : 403;
                return refused;
            }
        }
        start = end + 1;
    }
    return std::nullopt;
}

// "dir/": the first index file that exists decides; a script runs, anything else is static.
std::optional<ScriptRoute> script_as_index(const Site& site, const proto::NormalizedPath& path) {
    for (const std::string& index : site.index_files) {
        std::string candidate = path.relative.empty() ? index : path.relative + "/" + index;
        struct stat info {};
        if (stat_beneath(site.root_fd.get(), candidate, info) != 0 || !S_ISREG(info.st_mode)) {
            continue;
        }
        ScriptHandler handler = handler_for(site, index);
        if (handler == ScriptHandler::none)
            return std::nullopt;
        return script_at(handler, std::move(candidate), "");
    }
    return std::nullopt;
}

std::string endpoint_address(const ipc::Endpoint& endpoint) {
    return endpoint.family == 0 ? std::string() : ipc::address_text(endpoint);
}

}  // namespace

ScriptRoute find_script(const Site& site, const proto::RequestHead& head) {
    if (!site.cgi && !site.fastcgi)
        return {};
    proto::SplitTarget target = proto::split_target(head.path_and_query);
    proto::PathOutcome normalized = proto::normalize_path(target.path);
    if (normalized.error != proto::PathError::none)
        return {};  // the static handler says 400
    if (auto script = script_in_path(site, normalized.path))
        return *script;
    if (normalized.path.trailing_slash || normalized.path.relative.empty()) {
        if (auto index = script_as_index(site, normalized.path))
            return *index;
    }
    return {};
}

proto::MetaVariables script_meta_variables(const Site& site, const ScriptRoute& route,
                                           const Request& request) {
    proto::SplitTarget target = proto::split_target(request.path_and_query);
    std::string script_filename = site.root + "/" + route.relative;
    std::string remote_addr = endpoint_address(request.client);
    std::string server_addr = endpoint_address(request.local);
    std::string protocol = request.http2                ? "HTTP/2.0"
                           : request.version_minor == 0 ? "HTTP/1.0"
                                                        : "HTTP/1.1";
    std::vector<proto::HeaderField> fields = request.field_views();
    proto::CgiRequest cgi;
    cgi.method = request.method;
    cgi.request_uri = request.target;
    cgi.query = target.query;
    cgi.script_name = route.script_name;
    cgi.path_info = route.path_info;
    cgi.document_root = site.root;
    cgi.script_filename = script_filename;
    cgi.server_name = request.host;
    cgi.server_protocol = protocol;
    cgi.server_software = "bulkhead";
    cgi.remote_addr = remote_addr;
    cgi.remote_port = request.client.port;
    cgi.server_addr = server_addr;
    cgi.server_port = request.local.port;
    cgi.https = request.tls;
    if (!request.chunked)
        cgi.content_length = request.content_length.value_or(0);
    if (!request.has_body())
        cgi.content_length.reset();
    cgi.fields = fields;
    return proto::cgi_meta_variables(cgi);
}

}  // namespace bulkhead::worker
