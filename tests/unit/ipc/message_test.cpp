#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "ipc/dispatcher_worker.hpp"
#include "ipc/endpoint.hpp"
#include "ipc/master_dispatcher.hpp"
#include "ipc/master_worker.hpp"

namespace bulkhead::ipc {
namespace {

template <typename Message>
std::vector<std::byte> encoded(const Message& message) {
    auto bytes = bytes_of(message);
    return {bytes.begin(), bytes.end()};
}

TEST(Message, DecodesItsOwnEncoding) {
    WorkerAttach attach;
    attach.site_id = 7;
    attach.worker_id = 42;
    auto bytes = encoded(attach);
    auto decoded = decode<WorkerAttach>(bytes, true);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->site_id, 7u);
    EXPECT_EQ(decoded->worker_id, 42u);
}

struct DecodeCase {
    const char* name;
    std::size_t size_delta;  // added to the exact size (wraps for "one short")
    bool has_fd;
    ChannelError expected;
};

TEST(Message, RejectsWrongSizeAndDescriptorPresence) {
    const DecodeCase cases[] = {
        {"one byte short", static_cast<std::size_t>(-1), true, ChannelError::bad_size},
        {"one byte long", 1, true, ChannelError::bad_size},
        {"descriptor missing", 0, false, ChannelError::missing_fd},
    };
    for (const DecodeCase& c : cases) {
        auto bytes = encoded(WorkerAttach{});
        bytes.resize(bytes.size() + c.size_delta);
        auto decoded = decode<WorkerAttach>(bytes, c.has_fd);
        ASSERT_FALSE(decoded) << c.name;
        EXPECT_EQ(decoded.error(), c.expected) << c.name;
    }
    auto detach = encoded(WorkerDetach{});
    auto unexpected_fd = decode<WorkerDetach>(detach, true);
    ASSERT_FALSE(unexpected_fd);
    EXPECT_EQ(unexpected_fd.error(), ChannelError::unexpected_fd);
}

TEST(Message, RejectsAnotherTypeOfTheSameSize) {
    auto bytes = encoded(WorkerDetach{});  // 8 bytes, like WorkerLoad
    auto decoded = decode<WorkerLoad>(bytes, false);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error(), ChannelError::bad_type);
}

TEST(Message, PeekTypeRejectsOutOfRangeTags) {
    std::vector<std::byte> bytes(8);
    EXPECT_FALSE(peek_type(bytes, MasterWorkerType::end_));  // type 0
    std::uint16_t tag = static_cast<std::uint16_t>(MasterWorkerType::end_);
    std::memcpy(bytes.data(), &tag, sizeof tag);
    EXPECT_FALSE(peek_type(bytes, MasterWorkerType::end_));
    EXPECT_FALSE(peek_type(std::span<const std::byte>(bytes.data(), 1), MasterWorkerType::end_));
    tag = 2;
    std::memcpy(bytes.data(), &tag, sizeof tag);
    EXPECT_EQ(peek_type(bytes, MasterWorkerType::end_), MasterWorkerType::host);
}

TEST(Message, TailLengthMustMatchTheDatagram) {
    Handoff handoff;
    handoff.tail_bytes = 3;
    auto bytes = encoded(handoff);
    bytes.resize(bytes.size() + 3);
    EXPECT_TRUE(decode_with_tail<Handoff>(bytes, true));
    bytes.resize(bytes.size() - 1);
    EXPECT_FALSE(decode_with_tail<Handoff>(bytes, true));
    handoff.tail_bytes = kMaxCarriedBytes + 1;
    bytes = encoded(handoff);
    bytes.resize(bytes.size() + kMaxCarriedBytes + 1);
    EXPECT_FALSE(decode_with_tail<Handoff>(bytes, true));
}

TEST(Message, TextMustBeTerminatedWithinItsArray) {
    SiteRoute route;
    EXPECT_TRUE(set_text(route.name, "alpha"));
    EXPECT_EQ(get_text(route.name), "alpha");
    EXPECT_FALSE(set_text(route.name, std::string(64, 'x')));  // no room for the NUL
    EXPECT_FALSE(set_text(route.name, std::string_view("a\0b", 3)));
    std::memset(route.name, 'x', sizeof route.name);
    EXPECT_FALSE(get_text(route.name));
}

TEST(Endpoint, FormatsBothFamilies) {
    sockaddr_storage storage{};
    auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(8080);
    v6.sin6_addr = in6addr_loopback;
    EXPECT_EQ(endpoint_text(endpoint_from(storage)), "[::1]:8080");
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(80);
    v4.sin_addr.s_addr = htonl(0x7f000001);
    EXPECT_EQ(endpoint_text(endpoint_from(storage)), "127.0.0.1:80");
}

}  // namespace
}  // namespace bulkhead::ipc
