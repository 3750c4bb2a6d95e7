#include "worker/app_output.hpp"

#include <algorithm>

#include "base/ascii.hpp"
#include "proto/cgi_response.hpp"

namespace bulkhead::worker {
namespace {

// Fields the server sets itself (framing, connection management, Date, Server) or that only
// CGI uses; an application's copy would contradict or smuggle.
bool server_owned(std::string_view name) {
    for (std::string_view owned :
         {"Status", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "TE",
          "Trailer", "Upgrade", "Proxy-Connection", "Date", "Server"}) {
        if (equals_ignoring_case(name, owned))
            return true;
    }
    return false;
}

// RFC 3875 6.2.2: a local redirect names a path on this server ("/..."), never "//host".
bool is_local_path(std::string_view location) {
    return location.size() >= 1 && location[0] == '/' &&
           (location.size() == 1 || location[1] != '/');
}

StreamHead make_head(const proto::CgiHead& cgi) {
    StreamHead head;
    head.status = cgi.status.value_or(cgi.location ? 302 : 200);
    if (cgi.status)
        head.reason = std::string(cgi.reason);
    head.length = cgi.content_length;
    for (std::size_t i = 0; i < cgi.field_count; ++i) {
        const proto::HeaderField& field = cgi.fields[i];
        if (server_owned(field.name))
            continue;
        head.headers.append(field.name);
        head.headers += ": ";
        head.headers.append(field.value);
        head.headers += "\r\n";
    }
    return head;
}

bool reason_is_printable(std::string_view reason) {
    return std::all_of(reason.begin(), reason.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return c == '\t' || (u >= 0x20 && u < 0x7f);
    });
}

}  // namespace

void AppOutput::feed(std::span<const std::byte> data) {
    std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (state_ == State::head) {
        head_buffer_.append(text);
        parse_head();
    } else if (state_ == State::body) {
        pending_.append(text);
    }
    pump();
}

void AppOutput::parse_head() {
    proto::CgiHead head;
    auto outcome = proto::parse_cgi_head(
        {reinterpret_cast<const std::byte*>(head_buffer_.data()), head_buffer_.size()},
        kMaxHeadBytes, head);
    if (outcome.status == proto::ParseStatus::need_more)
        return;
    if (outcome.status == proto::ParseStatus::error) {
        return fail("malformed response head: " + std::string(proto::describe(outcome.error)));
    }
    if (head.location && !head.status && is_local_path(*head.location)) {
        state_ = State::done;
        exchange_.redirect_internally(std::string(*head.location));
        return;
    }
    StreamHead stream_head = make_head(head);
    if (!reason_is_printable(stream_head.reason))
        stream_head.reason.clear();
    pending_.clear();
    pending_.append(std::string_view(head_buffer_).substr(outcome.consumed));
    head_buffer_.clear();
    head_buffer_.shrink_to_fit();
    state_ = State::body;
    exchange_.send_head(std::move(stream_head));
}

void AppOutput::pump() {
    if (state_ != State::body)
        return;
    std::size_t room = std::min(pending_.size(), exchange_.body_room());
    if (room > 0) {
        exchange_.send_body(pending_.bytes().first(room));
        pending_.consume(room);
    }
    if (ended_ && pending_.empty()) {
        state_ = State::done;
        exchange_.send_end();
    }
}

void AppOutput::finish() {
    ended_ = true;
    if (state_ == State::head) {
        return fail(head_buffer_.empty() ? "no output" : "output ended inside the response head");
    }
    pump();
}

bool AppOutput::wants_more() const {
    if (state_ == State::head)
        return true;
    return state_ == State::body && !ended_ && pending_.size() < kPendingBytes;
}

void AppOutput::fail(std::string problem) {
    state_ = State::malformed;
    problem_ = std::move(problem);
    head_buffer_.clear();
}

}  // namespace bulkhead::worker
