// ByteQueue: what passes through in order, and memory that follows what waits, not the total.

#include "worker/byte_queue.hpp"

#include <gtest/gtest.h>

namespace bulkhead::worker {
namespace {

TEST(ByteQueue, BytesComeOutInOrder) {
    ByteQueue queue;
    queue.append(std::string_view("hello "));
    queue.append(std::string_view("world"));
    queue.consume(6);
    EXPECT_EQ(queue.view(), "world");
    std::span<char> room = queue.prepare(10);
    room[0] = '!';
    queue.commit(room.size(), 1);
    EXPECT_EQ(queue.view(), "world!");
    queue.consume(100);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.held(), 0u);
}

// A reader that never quite catches up (always 100 bytes behind) over 64 MiB: memory stays
// near what waits, where a buffer cleared only when empty would hold all 64 MiB.
TEST(ByteQueue, ASlowReaderDoesNotMakeItHoldEverything) {
    ByteQueue queue;
    const std::string chunk(64 * 1024, 'x');
    std::size_t most = 0;
    for (int i = 0; i < 1024; ++i) {
        queue.append(chunk);
        queue.consume(queue.size() - 100);
        most = std::max(most, queue.held());
    }
    EXPECT_EQ(queue.size(), 100u);
    EXPECT_LT(most, 4 * chunk.size());
}

}  // namespace
}  // namespace bulkhead::worker
