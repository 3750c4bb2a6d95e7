#pragma once
// What an application writes to its standard error (a CGI script's stderr pipe, FastCGI
// FCGI_STDERR records), line by line into the site's error log, each line prefixed with what
// wrote it. The last lines are kept for the message that explains a 502.

#include <string>
#include <string_view>

namespace bulkhead::worker {

// Untrusted bytes (an application's output, a client's path) made safe for one log line:
// control bytes become '?'.
std::string printable_for_log(std::string_view text);

class StderrLines {
  public:
    explicit StderrLines(std::string prefix) : prefix_(std::move(prefix)) {}
    ~StderrLines() { flush(); }
    StderrLines(const StderrLines&) = delete;
    StderrLines& operator=(const StderrLines&) = delete;

    void add(std::string_view bytes);
    // Logs an unfinished last line.
    void flush();
    // The last lines, joined with " | ", at most kTailBytes; "" if nothing was written.
    const std::string& tail() const { return tail_; }

  private:
    static constexpr std::size_t kMaxLineBytes = 2048;
    static constexpr std::size_t kTailBytes = 1024;
    void emit(std::string_view line);

    std::string prefix_;
    std::string partial_;
    std::string tail_;
};

}  // namespace bulkhead::worker
