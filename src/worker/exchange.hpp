#pragma once
// One request and its response, as an asynchronous handler (CGI, FastCGI) sees them, apart from
// how they travel: the HTTP/1.1 connection implements Exchange today, an HTTP/2 stream can
// tomorrow, and the handlers stay the same.
//
//   connection (Exchange)                          handler (Responder)
//     request body, decoded  ── body_data() ──▶     takes what it can (consume_body)
//     response, framed       ◀── send_head/body/end  as the application produces it
//     "more data / more room" ── on_exchange_ready() ──▶  pumps again
//
// Back-pressure runs both ways: the connection stops reading the client while the handler
// leaves body bytes unconsumed, and a handler stops reading its application while
// body_room() is 0. Exchange methods never call the responder back; they only note what to do
// and let the loop advance the connection later, so neither side re-enters the other.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "ipc/endpoint.hpp"
#include "proto/http_head.hpp"

namespace bulkhead::worker {

// The request, copied out of the connection's buffer so it outlives the next read.
struct Request {
    std::string method;
    std::string target;          // as sent
    std::string path_and_query;  // "/a/b?x"
    int version_minor = 1;
    bool http2 = false;  // arrived as an HTTP/2 stream (version_minor is then 1)
    std::string host;    // normalized, without port; "" if none was sent
    std::vector<std::pair<std::string, std::string>> fields;  // as sent, in order
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    bool tls = false;
    ipc::Endpoint client;
    ipc::Endpoint local;

    bool has_body() const { return chunked || content_length.value_or(0) > 0; }
    std::vector<proto::HeaderField> field_views() const;
    // A RequestHead whose views point into this request, for the router and the static
    // handler (an HTTP/2 stream's request, a local redirect's new one).
    void view_as_head(proto::RequestHead& head) const;
    const std::string* field(std::string_view name) const;  // the first, case-insensitive
};

// The status line and header fields of a streamed response. The exchange adds Date, Server,
// and the framing (Content-Length, Transfer-Encoding, Connection) itself.
struct StreamHead {
    int status = 200;
    std::string reason;                   // "": the standard phrase for `status`
    std::string headers;                  // lines, each ending in "\r\n"
    std::optional<std::uint64_t> length;  // Content-Length, when the application gave one
};

class Exchange {
  public:
    virtual const Request& request() const = 0;

    // The request body as it arrives, decoded from its framing.
    virtual std::span<const std::byte> body_data() const = 0;
    virtual void consume_body(std::size_t bytes) = 0;
    // No more body bytes will arrive than those in body_data() (also true without a body).
    virtual bool body_complete() const = 0;

    virtual bool head_sent() const = 0;
    virtual void send_head(StreamHead head) = 0;
    // How many body bytes send_body() takes now; 0 until the client has read some.
    virtual std::size_t body_room() const = 0;
    virtual void send_body(std::span<const std::byte> data) = 0;
    virtual void send_end() = 0;
    // Before send_head: answer with an error page instead. After it: the response cannot be
    // completed, and the connection is closed once what was sent has gone.
    virtual void send_error(int status, std::string extra_headers = {}) = 0;
    // A CGI local redirect (RFC 3875 6.2.2): answer with a GET of `target` instead.
    virtual void redirect_internally(std::string target) = 0;

  protected:
    ~Exchange() = default;
};

// A handler answering one request asynchronously; the connection owns it and destroys it when
// the response is complete or the client went away (the destructor stops whatever it runs).
class Responder {
  public:
    virtual ~Responder() = default;
    // More body data arrived, or there is room for more response body: pump again.
    virtual void on_exchange_ready() = 0;
    // When the handler's own time runs out (kNever: not yet), and what happens then.
    virtual Millis deadline() const = 0;
    virtual void on_deadline() = 0;
};

}  // namespace bulkhead::worker
