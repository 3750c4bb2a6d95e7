#pragma once
// The site's access log in the Combined Log Format, plus the request time in microseconds.
// Lines are collected and written once per event-loop turn, not once per request.

#include <cstdint>
#include <string>

#include "base/clock.hpp"
#include "ipc/endpoint.hpp"

namespace bulkhead::worker {

struct AccessRecord {
    std::string request_line;  // "GET /index.html HTTP/1.1"
    std::string referer;
    std::string user_agent;
    Millis started_us = 0;     // CLOCK_MONOTONIC, microseconds
    ipc::Endpoint client;
};

class AccessLog {
public:
    explicit AccessLog(int fd) : fd_(fd) {}
    void add(const AccessRecord& record, int status, std::uint64_t body_bytes);
    void flush();

private:
    int fd_;
    std::string pending_;
};

// Microseconds on the monotonic clock.
Millis monotonic_us();

}  // namespace bulkhead::worker
