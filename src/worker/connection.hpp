#pragma once
// One client connection in a worker: HTTP/1.1 with keep-alive and pipelining, HTTP/1.0.
// A small state machine driven by the event loop; it never blocks.
//
//   head ──▶ body (drained) ──▶ write ──▶ head (keep-alive, next pipelined request first)
//     │                           └────▶ linger (half-closed, draining) ──▶ closed
//     └──▶ handback: the next request names another site; the socket returns to the dispatcher

#include <cstdint>
#include <string>

#include "base/clock.hpp"
#include "base/unique_fd.hpp"
#include "ipc/dispatcher_worker.hpp"
#include "proto/http_head.hpp"
#include "worker/access_log.hpp"
#include "worker/request_body.hpp"
#include "worker/response_plan.hpp"
#include "worker/site.hpp"
#include "worker/static_files.hpp"

namespace bulkhead::worker {

struct ConnectionContext {
    const Site& site;
    const StaticFiles& files;
    AccessLog& access_log;
};

class Connection {
public:
    enum class Verdict { keep, close, handback };

    Connection(UniqueFd socket, const ipc::ConnectionMeta& meta, std::uint16_t flags,
               std::string carried, ConnectionContext context);

    int fd() const { return socket_.get(); }
    bool wants_write() const { return state_ == State::write; }
    Millis deadline() const { return deadline_; }

    // Does all the work the socket allows now: read, serve, write.
    Verdict advance();
    // The deadline passed: 408 for a partial head, otherwise close.
    Verdict on_timeout();
    // Graceful stop: finish the current request, then close instead of keeping alive.
    Verdict stop_keep_alive();

    // For a handback: the socket, its flags, and the bytes read but not used.
    UniqueFd take_socket() { return std::move(socket_); }
    std::string unconsumed() const { return in_.substr(in_start_); }
    const ipc::ConnectionMeta& meta() const { return meta_; }
    std::uint16_t flags() const { return flags_ & ipc::kConnectionTls; }

private:
    enum class State { head, body, write, linger };
    enum class Io { progress, would_block, closed };

    Verdict advance_head();
    Verdict advance_body();
    Verdict advance_write();
    Verdict advance_linger();
    Verdict on_head(const proto::RequestHead& head, std::size_t head_bytes);
    bool host_is_ours(const proto::RequestHead& head, int& error_status) const;
    void start_response(ResponsePlan plan, bool keep_alive, bool http10_client);
    Verdict finish_request();
    Verdict fail(int status);
    Io read_more();
    void set_deadline(Millis deadline) { deadline_ = deadline; }

    UniqueFd socket_;
    ipc::ConnectionMeta meta_;
    std::uint16_t flags_;
    ConnectionContext context_;
    State state_ = State::head;
    Millis deadline_ = 0;
    Millis head_started_ = 0;

    std::string in_;            // bytes read; the current request starts at in_start_
    std::size_t in_start_ = 0;
    RequestBody body_;

    std::string out_;           // response head (and small bodies) still to send
    std::size_t out_sent_ = 0;
    UniqueFd file_;             // body file still to send with sendfile
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_remaining_ = 0;
    bool close_after_write_ = false;
    bool stopping_ = false;
    std::uint64_t requests_served_ = 0;
    std::uint64_t progress_ = 0;  // bumped by every step that moved; advance() loops while it does
    AccessRecord record_;       // the request being answered, for the access log
};

}  // namespace bulkhead::worker
