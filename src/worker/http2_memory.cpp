#include "worker/http2_memory.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace bulkhead::worker::http2 {
namespace {

// Each block starts with its size, padded so the caller's part keeps malloc's alignment.
constexpr std::size_t kHeader = alignof(std::max_align_t);

std::size_t& size_of(void* block) {
    return *static_cast<std::size_t*>(block);
}
void* user_part(void* block) {
    return static_cast<char*>(block) + kHeader;
}
void* block_of(void* user) {
    return static_cast<char*>(user) - kHeader;
}

}  // namespace

bool CountingAllocator::admit(std::size_t more) {
    if (more > limit_ - std::min(in_use_, limit_)) {
        ++refusals_;
        return false;
    }
    return true;
}

void* CountingAllocator::allocate(std::size_t size, void* self) {
    auto& counter = *static_cast<CountingAllocator*>(self);
    if (size > std::numeric_limits<std::size_t>::max() - kHeader || !counter.admit(size))
        return nullptr;
    void* block = std::malloc(kHeader + size);
    if (!block)
        return nullptr;
    size_of(block) = size;
    counter.in_use_ += size;
    counter.peak_ = std::max(counter.peak_, counter.in_use_);
    return user_part(block);
}

void CountingAllocator::release(void* pointer, void* self) {
    if (!pointer)
        return;
    auto& counter = *static_cast<CountingAllocator*>(self);
    void* block = block_of(pointer);
    counter.in_use_ -= size_of(block);
    std::free(block);
}

void* CountingAllocator::allocate_zeroed(std::size_t count, std::size_t size, void* self) {
    if (size != 0 && count > std::numeric_limits<std::size_t>::max() / size)
        return nullptr;
    void* pointer = allocate(count * size, self);
    if (pointer)
        std::memset(pointer, 0, count * size);
    return pointer;
}

void* CountingAllocator::reallocate(void* pointer, std::size_t size, void* self) {
    if (!pointer)
        return allocate(size, self);
    auto& counter = *static_cast<CountingAllocator*>(self);
    void* block = block_of(pointer);
    std::size_t old_size = size_of(block);
    if (size > old_size && !counter.admit(size - old_size))
        return nullptr;
    if (size > std::numeric_limits<std::size_t>::max() - kHeader)
        return nullptr;
    void* grown = std::realloc(block, kHeader + size);
    if (!grown)
        return nullptr;
    size_of(grown) = size;
    counter.in_use_ = counter.in_use_ - old_size + size;
    counter.peak_ = std::max(counter.peak_, counter.in_use_);
    return user_part(grown);
}

}  // namespace bulkhead::worker::http2
