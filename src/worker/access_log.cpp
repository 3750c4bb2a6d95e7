#include "worker/access_log.hpp"

#include <time.h>
#include <unistd.h>

namespace bulkhead::worker {
namespace {

// "[10/Oct/2000:13:55:36 +0000]", formatted at most once a second.
const std::string& clf_time() {
    static time_t formatted_for = 0;
    static std::string text;
    time_t now = time(nullptr);
    if (now != formatted_for) {
        struct tm parts {};
        gmtime_r(&now, &parts);
        char buffer[40];
        strftime(buffer, sizeof buffer, "[%d/%b/%Y:%H:%M:%S +0000]", &parts);
        text = buffer;
        formatted_for = now;
    }
    return text;
}

// Quotes are escaped and control bytes replaced, so a client cannot forge log lines.
void append_quoted(std::string& out, const std::string& value) {
    out += '"';
    if (value.empty())
        out += '-';
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += '?';
        } else {
            out += c;
        }
    }
    out += '"';
}

}  // namespace

Millis monotonic_us() {
    struct timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<Millis>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

void AccessLog::add(const AccessRecord& record, int status, std::uint64_t body_bytes) {
    pending_ += ipc::address_text(record.client);
    pending_ += " - - ";
    pending_ += clf_time();
    pending_ += ' ';
    append_quoted(pending_, record.request_line);
    pending_ += ' ';
    pending_ += std::to_string(status);
    pending_ += ' ';
    pending_ += body_bytes ? std::to_string(body_bytes) : "-";
    pending_ += ' ';
    append_quoted(pending_, record.referer);
    pending_ += ' ';
    append_quoted(pending_, record.user_agent);
    pending_ += ' ';
    pending_ += std::to_string(monotonic_us() - record.started_us);
    pending_ += '\n';
    if (pending_.size() > 64 * 1024)
        flush();
}

void AccessLog::flush() {
    if (pending_.empty() || fd_ < 0) {
        pending_.clear();
        return;
    }
    ssize_t ignored = write(fd_, pending_.data(), pending_.size());  // O_APPEND: whole lines
    (void)ignored;  // a full disk must not stop serving; the error log would fill too
    pending_.clear();
}

}  // namespace bulkhead::worker
