#pragma once
// What a handler decided to answer, before the connection turns it into bytes. Handlers never
// write to the socket themselves; the connection adds Date, Server, Content-Length and
// Connection, and sends `body` or `length` bytes of `file` from `offset` (with sendfile).

#include <cstdint>
#include <string>

#include "worker/served_file.hpp"

namespace bulkhead::worker {

struct ResponsePlan {
    int status = 200;
    std::string headers;       // extra header lines, each ending in "\r\n"
    std::string body;          // generated body (error pages, redirects), if no file
    SharedFile file;           // the file to send, if any
    std::uint64_t offset = 0;  // first byte of `file` to send
    std::uint64_t length = 0;  // Content-Length: body.size() or the file range's length
    bool omit_body = false;    // HEAD, 304: headers say `length`, no body bytes follow
};

// A small HTML page for an error status; `extra_headers` lines end in "\r\n" (e.g. "Allow: ...").
ResponsePlan error_response(int status, std::string extra_headers = {});

}  // namespace bulkhead::worker
