#pragma once
// What every message struct is, and how it is encoded and decoded.
//
// A message is a trivially copyable struct whose first member is its type, with:
//   static constexpr <Enum> kType;       the type tag it carries
//   static constexpr bool kTakesFd;      whether exactly one descriptor rides along
// It holds integers and fixed arrays only, and no implicit padding (padding is spelled out as
// fields), so no byte of the sender's memory leaks into a message: the static_asserts in
// check_layout() enforce both. Encoding is the struct's bytes; decoding checks the exact size,
// the descriptor's presence and (in the receiver) the type's legality in its state.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "base/expected.hpp"
#include "ipc/channel.hpp"

namespace bulkhead::ipc {

template <typename Message>
constexpr void check_layout() {
    static_assert(std::is_trivially_copyable_v<Message>);
    static_assert(std::has_unique_object_representations_v<Message>,
                  "message has implicit padding; spell it out as a zeroed field");
    static_assert(offsetof(Message, type) == 0);
}

template <typename Message>
std::span<const std::byte> bytes_of(const Message& message) {
    check_layout<Message>();
    return {reinterpret_cast<const std::byte*>(&message), sizeof message};
}

// The type tag of a received datagram, or nullopt if it is shorter than a tag or out of range.
template <typename Enum>
std::optional<Enum> peek_type(std::span<const std::byte> bytes, Enum end) {
    using Raw = std::underlying_type_t<Enum>;
    Raw raw;
    if (bytes.size() < sizeof raw) return std::nullopt;
    std::memcpy(&raw, bytes.data(), sizeof raw);
    if (raw == 0 || raw >= static_cast<Raw>(end)) return std::nullopt;
    return static_cast<Enum>(raw);
}

// A fixed-size message: exactly sizeof(Message) bytes, a descriptor iff kTakesFd.
template <typename Message>
Expected<Message, ChannelError> decode(std::span<const std::byte> bytes, bool has_fd) {
    check_layout<Message>();
    if (bytes.size() != sizeof(Message)) return unexpected(ChannelError::bad_size);
    if (has_fd && !Message::kTakesFd) return unexpected(ChannelError::unexpected_fd);
    if (!has_fd && Message::kTakesFd) return unexpected(ChannelError::missing_fd);
    Message message;
    std::memcpy(&message, bytes.data(), sizeof message);
    if (message.type != Message::kType) return unexpected(ChannelError::bad_type);
    return message;
}

// A message "followed by N data bytes", where N is the struct's `tail_bytes` field and may be at
// most Message::kMaxTailBytes. Returns the struct; the tail is bytes.subspan(sizeof(Message)).
template <typename Message>
Expected<Message, ChannelError> decode_with_tail(std::span<const std::byte> bytes, bool has_fd) {
    if (bytes.size() < sizeof(Message)) return unexpected(ChannelError::bad_size);
    auto message = decode<Message>(bytes.first(sizeof(Message)), has_fd);
    if (!message) return message;
    if (message->tail_bytes > Message::kMaxTailBytes ||
        bytes.size() != sizeof(Message) + message->tail_bytes) {
        return unexpected(ChannelError::bad_size);
    }
    return message;
}

// Text in a fixed array: NUL-terminated within the array. set_text fails if it does not fit.
template <std::size_t N>
bool set_text(char (&destination)[N], std::string_view text) {
    if (text.size() >= N || text.find('\0') != std::string_view::npos) return false;
    std::memset(destination, 0, N);
    std::memcpy(destination, text.data(), text.size());
    return true;
}

// nullopt if the array holds no NUL (a malformed message).
template <std::size_t N>
std::optional<std::string_view> get_text(const char (&source)[N]) {
    const void* end = std::memchr(source, '\0', N);
    if (end == nullptr) return std::nullopt;
    return std::string_view(source, static_cast<const char*>(end) - source);
}

}  // namespace bulkhead::ipc
