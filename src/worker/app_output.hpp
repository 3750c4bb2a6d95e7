#pragma once
// What an application prints — a CGI script's standard output, a FastCGI FCGI_STDOUT stream:
// a CGI response head (RFC 3875 6), then the body. Turns it into the exchange's response:
// the status from Status (else 302 with Location, else 200), a local redirect for a Location
// that is a path, the application's header fields minus those the server owns (framing,
// Connection, Date, Server), and the body streamed as it comes.
//
// Back-pressure: body bytes the client cannot take yet wait here, at most kPendingBytes; the
// caller stops reading the application while wants_more() is false and calls pump() when the
// exchange has room again.

#include <cstddef>
#include <span>
#include <string>

#include "worker/byte_queue.hpp"
#include "worker/exchange.hpp"

namespace bulkhead::worker {

class AppOutput {
  public:
    static constexpr std::size_t kMaxHeadBytes = 64 * 1024;
    static constexpr std::size_t kPendingBytes = 64 * 1024;

    explicit AppOutput(Exchange& exchange) : exchange_(exchange) {}

    enum class State { head, body, done, malformed };

    // Takes output bytes; all of them (within kPendingBytes past wants_more()).
    void feed(std::span<const std::byte> data);
    // The output ended: the response ends too (or is malformed, if no head came).
    void finish();
    // Hands waiting body bytes to the exchange as far as it has room.
    void pump();

    bool wants_more() const;
    State state() const { return state_; }
    bool started() const { return state_ != State::head || !head_buffer_.empty(); }
    // Why the output was malformed, for the log.
    const std::string& problem() const { return problem_; }

  private:
    void parse_head();
    void fail(std::string problem);

    Exchange& exchange_;
    State state_ = State::head;
    bool ended_ = false;
    std::string head_buffer_;
    ByteQueue pending_;  // body bytes the exchange has no room for yet
    std::string problem_;
};

}  // namespace bulkhead::worker
