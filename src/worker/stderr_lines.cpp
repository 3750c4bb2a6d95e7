#include "worker/stderr_lines.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace bulkhead::worker {
std::string printable_for_log(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            c = '?';
    }
    return out;
}

void StderrLines::add(std::string_view bytes) {
    while (!bytes.empty()) {
        std::size_t end = bytes.find('\n');
        std::string_view piece = bytes.substr(0, end);
        partial_.append(piece.substr(0, kMaxLineBytes - std::min(kMaxLineBytes, partial_.size())));
        if (end == std::string_view::npos)
            return;
        emit(partial_);
        partial_.clear();
        bytes.remove_prefix(end + 1);
    }
}

void StderrLines::flush() {
    if (!partial_.empty())
        emit(partial_);
    partial_.clear();
}

void StderrLines::emit(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.empty())
        return;
    std::string text = printable_for_log(line);
    log::warning(prefix_, ": stderr: ", text);
    if (!tail_.empty())
        tail_ += " | ";
    tail_ += text;
    if (tail_.size() > kTailBytes)
        tail_.erase(0, tail_.size() - kTailBytes);
}

}  // namespace bulkhead::worker
