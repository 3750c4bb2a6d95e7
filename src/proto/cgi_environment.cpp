#include "proto/cgi_environment.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace bulkhead::proto {
namespace {

bool is_name_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Appends the header fields as HTTP_* variables, joining repeated ones.
void add_header_fields(const CgiRequest& request, MetaVariables& out) {
    std::size_t first = out.size();
    for (const HeaderField& field : request.fields) {
        std::optional<std::string> name = http_variable_name(field.name);
        if (!name)
            continue;
        auto same = [&](const auto& entry) { return entry.first == *name; };
        auto existing =
            std::find_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), same);
        if (existing == out.end()) {
            out.emplace_back(std::move(*name), std::string(field.value));
            continue;
        }
        existing->second += equals_ignoring_case(field.name, "Cookie") ? "; " : ", ";
        existing->second += field.value;
    }
}

std::string content_type_of(const CgiRequest& request) {
    for (const HeaderField& field : request.fields) {
        if (equals_ignoring_case(field.name, "Content-Type"))
            return std::string(field.value);
    }
    return {};
}

}  // namespace

std::optional<std::string> http_variable_name(std::string_view field_name) {
    if (field_name.empty() || !std::all_of(field_name.begin(), field_name.end(), is_name_byte)) {
        return std::nullopt;
    }
    for (std::string_view skipped :
         {"Proxy", "Content-Type", "Content-Length", "Transfer-Encoding"}) {
        if (equals_ignoring_case(field_name, skipped))
            return std::nullopt;
    }
    std::string name = "HTTP_";
    for (char c : field_name) {
        name += c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    }
    return name;
}

MetaVariables cgi_meta_variables(const CgiRequest& request) {
    MetaVariables out;
    auto add = [&out](std::string_view name, std::string_view value) {
        out.emplace_back(std::string(name), std::string(value));
    };
    add("GATEWAY_INTERFACE", "CGI/1.1");
    add("SERVER_SOFTWARE", request.server_software);
    add("SERVER_PROTOCOL", request.server_protocol);
    add("SERVER_NAME", request.server_name);
    add("SERVER_ADDR", request.server_addr);
    add("SERVER_PORT", std::to_string(request.server_port));
    add("REMOTE_ADDR", request.remote_addr);
    add("REMOTE_PORT", std::to_string(request.remote_port));
    add("REQUEST_METHOD", request.method);
    add("REQUEST_URI", request.request_uri);
    add("REQUEST_SCHEME", request.https ? "https" : "http");
    if (request.https)
        add("HTTPS", "on");
    add("QUERY_STRING", request.query);
    add("DOCUMENT_ROOT", request.document_root);
    add("SCRIPT_NAME", request.script_name);
    add("SCRIPT_FILENAME", request.script_filename);
    add("PATH_INFO", request.path_info);
    if (!request.path_info.empty()) {
        add("PATH_TRANSLATED", std::string(request.document_root) + std::string(request.path_info));
    }
    // php-cgi refuses to run without it (cgi.force_redirect): the request did come through
    // a web server.
    add("REDIRECT_STATUS", "200");
    if (request.content_length)
        add("CONTENT_LENGTH", std::to_string(*request.content_length));
    if (std::string type = content_type_of(request); !type.empty())
        add("CONTENT_TYPE", type);
    add_header_fields(request, out);
    return out;
}

}  // namespace bulkhead::proto
