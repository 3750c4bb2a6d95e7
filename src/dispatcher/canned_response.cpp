#include "dispatcher/canned_response.hpp"

#include <map>

#include "proto/status.hpp"

namespace bulkhead::dispatcher {
namespace {

std::string build(int status) {
    std::string reason(proto::reason_phrase(status));
    std::string title = std::to_string(status) + " " + reason;
    std::string body = "<html><head><title>" + title + "</title></head><body><h1>" + title +
                       "</h1></body></html>\n";
    std::string response = "HTTP/1.1 " + title +
                           "\r\nServer: bulkhead\r\nContent-Type: text/html; charset=utf-8\r\n"
                           "Content-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n";
    if (status == 503) response += "Retry-After: 1\r\n";
    return response + "\r\n" + body;
}

}  // namespace

const std::string& canned_response(int status) {
    // Built on first use and kept: the dispatcher answers these often under attack.
    static std::map<int, std::string> cache;
    auto found = cache.find(status);
    if (found == cache.end()) found = cache.emplace(status, build(status)).first;
    return found->second;
}

}  // namespace bulkhead::dispatcher
