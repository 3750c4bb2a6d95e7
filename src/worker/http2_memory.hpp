#pragma once
// An nghttp2_mem that counts what nghttp2 allocates for one session and refuses beyond a cap:
// whatever a client makes nghttp2 hold (HPACK tables, queued frames, stream state), the
// session's memory stays bounded, and the tests can read how much it used.

#include <nghttp2/nghttp2.h>

#include <cstddef>

namespace bulkhead::worker::http2 {

class CountingAllocator {
  public:
    explicit CountingAllocator(std::size_t limit) : limit_(limit) {}
    CountingAllocator(const CountingAllocator&) = delete;
    CountingAllocator& operator=(const CountingAllocator&) = delete;

    // For nghttp2_session_server_new3; valid while this object lives.
    nghttp2_mem* mem() { return &mem_; }

    std::size_t in_use() const { return in_use_; }
    std::size_t peak() const { return peak_; }
    std::size_t refusals() const { return refusals_; }

  private:
    static void* allocate(std::size_t size, void* self);
    static void release(void* pointer, void* self);
    static void* allocate_zeroed(std::size_t count, std::size_t size, void* self);
    static void* reallocate(void* pointer, std::size_t size, void* self);
    bool admit(std::size_t more);

    std::size_t limit_;
    std::size_t in_use_ = 0;
    std::size_t peak_ = 0;
    std::size_t refusals_ = 0;
    nghttp2_mem mem_{this, allocate, release, allocate_zeroed, reallocate};
};

}  // namespace bulkhead::worker::http2
