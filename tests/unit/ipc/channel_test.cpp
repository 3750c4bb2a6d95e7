#include "ipc/channel.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace bulkhead::ipc {
namespace {

std::span<const std::byte> text(const char* value) {
    return {reinterpret_cast<const std::byte*>(value), std::strlen(value)};
}

TEST(Channel, DeliversOneDatagramWithItsDescriptor) {
    auto pair = make_channel_pair();
    ASSERT_TRUE(pair);
    UniqueFd passed(open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(send_datagram(pair->first.get(), text("hello"), passed.get()));
    std::byte buffer[64];
    auto received = receive_datagram(pair->second.get(), buffer);
    ASSERT_TRUE(received);
    EXPECT_EQ(received->size, 5u);
    ASSERT_TRUE(received->fd.valid());
    EXPECT_EQ(fcntl(received->fd.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);  // close-on-exec
    struct stat a {}, b {};
    fstat(passed.get(), &a);
    fstat(received->fd.get(), &b);
    EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(Channel, EmptyChannelWouldBlock) {
    auto pair = make_channel_pair();
    std::byte buffer[16];
    auto received = receive_datagram(pair->second.get(), buffer);
    ASSERT_FALSE(received);
    EXPECT_EQ(received.error(), ChannelError::would_block);
}

TEST(Channel, ClosedPeerIsReported) {
    auto pair = make_channel_pair();
    pair->first.reset();
    std::byte buffer[16];
    auto received = receive_datagram(pair->second.get(), buffer);
    ASSERT_FALSE(received);
    EXPECT_EQ(received.error(), ChannelError::closed);
}

TEST(Channel, OversizedDatagramIsTruncationNotASilentCut) {
    auto pair = make_channel_pair();
    ASSERT_TRUE(send_datagram(pair->first.get(), text("0123456789")));
    std::byte buffer[4];
    auto received = receive_datagram(pair->second.get(), buffer);
    ASSERT_FALSE(received);
    EXPECT_EQ(received.error(), ChannelError::truncated);
}

// A hostile peer attaching many descriptors must not make the receiver keep (leak) any.
TEST(Channel, ExtraDescriptorsAreClosedAndReported) {
    auto pair = make_channel_pair();
    int fds[3] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)};
    char payload = 'x';
    iovec part{&payload, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)];
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof fds);
    std::memcpy(CMSG_DATA(header), fds, sizeof fds);
    ASSERT_EQ(sendmsg(pair->first.get(), &message, 0), 1);
    for (int fd : fds) close(fd);
    int before = open("/dev/null", O_RDONLY);
    close(before);
    std::byte buffer[16];
    auto received = receive_datagram(pair->second.get(), buffer);
    ASSERT_FALSE(received);
    EXPECT_EQ(received.error(), ChannelError::too_many_fds);
    int after = open("/dev/null", O_RDONLY);  // the lowest free number is the same again
    EXPECT_EQ(after, before);
    close(after);
}

}  // namespace
}  // namespace bulkhead::ipc
