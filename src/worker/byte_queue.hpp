#pragma once
// Bytes that arrive at one end and are taken from the other: a request body on its way to a
// handler, an application's output on its way to the client, records from a FastCGI socket.
// What was taken is dropped as the queue goes, so memory follows what is waiting, never the
// total that passed through (a slow reader of a large body would otherwise hold all of it).

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace bulkhead::worker {

class ByteQueue {
  public:
    std::size_t size() const { return buffer_.size() - start_; }
    bool empty() const { return size() == 0; }
    std::string_view view() const { return std::string_view(buffer_).substr(start_); }
    // Bytes in memory, taken ones not yet dropped included.
    std::size_t held() const { return buffer_.size(); }
    std::span<const std::byte> bytes() const {
        return {reinterpret_cast<const std::byte*>(buffer_.data()) + start_, size()};
    }

    void append(std::string_view data) {
        compact();
        buffer_.append(data);
    }
    void append(std::span<const std::byte> data) {
        append(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
    }
    // Room for up to `bytes` more at the end, to read into; commit() says how many arrived.
    std::span<char> prepare(std::size_t bytes) {
        compact();
        std::size_t old_size = buffer_.size();
        buffer_.resize(old_size + bytes);
        return {buffer_.data() + old_size, bytes};
    }
    void commit(std::size_t prepared, std::size_t arrived) {
        buffer_.resize(buffer_.size() - prepared + arrived);
    }

    void consume(std::size_t bytes) {
        start_ += std::min(bytes, size());
        compact();
    }
    void clear() {
        buffer_.clear();
        start_ = 0;
    }

  private:
    // Taken bytes go when nothing waits, or once they outweigh what waits (so moving the rest
    // down costs no more than the bytes already passed on).
    void compact() {
        if (start_ == buffer_.size()) {
            clear();
        } else if (start_ >= kCompactBytes && start_ >= size()) {
            buffer_.erase(0, start_);
            start_ = 0;
        }
    }

    static constexpr std::size_t kCompactBytes = 16 * 1024;
    std::string buffer_;
    std::size_t start_ = 0;
};

}  // namespace bulkhead::worker
