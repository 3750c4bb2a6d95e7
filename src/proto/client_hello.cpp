#include "proto/client_hello.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace bulkhead::proto {
namespace {

constexpr unsigned kHandshakeRecord = 22;
constexpr unsigned kClientHelloMessage = 1;
constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kMaxRecordPayload = 16384 + 256;
constexpr unsigned kServerNameExtension = 0;
constexpr unsigned kAlpnExtension = 16;

// A bounds-checked reader over one byte range; any read past the end fails the whole parse.
class Reader {
  public:
    explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
    bool ok() const { return ok_; }
    std::size_t left() const { return bytes_.size() - at_; }
    unsigned u8() { return static_cast<unsigned>(number(1)); }
    unsigned u16() { return static_cast<unsigned>(number(2)); }
    std::size_t u24() { return static_cast<std::size_t>(number(3)); }
    std::span<const std::byte> take(std::size_t n) {
        if (!ok_ || left() < n) {
            ok_ = false;
            return {};
        }
        auto part = bytes_.subspan(at_, n);
        at_ += n;
        return part;
    }
    // A vector<lower..upper> with a length prefix of `width` bytes.
    std::span<const std::byte> vector(std::size_t width) {
        return take(static_cast<std::size_t>(number(width)));
    }

  private:
    std::uint64_t number(std::size_t width) {
        std::uint64_t value = 0;
        for (std::byte b : take(width))
            value = (value << 8) | std::to_integer<unsigned>(b);
        return value;
    }
    std::span<const std::byte> bytes_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

// The ClientHello message gathered from the leading handshake records. Gathering stops as soon
// as the message is whole: what a client may send right behind it in the same segment (a
// ChangeCipherSpec, early data) is the TLS library's to read, not ours to refuse.
enum class Gather { whole, partial, malformed };

struct GatheredHello {
    Gather state = Gather::partial;
    std::vector<std::byte> message;  // handshake header (type, 24-bit length) and body
};

// The message's full size once its 4-byte header is in, 0 before.
std::size_t expected_size(const std::vector<std::byte>& message) {
    if (message.size() < 4)
        return 0;
    Reader header(message);
    header.u8();
    return header.u24() + 4;
}

GatheredHello gather_hello(std::span<const std::byte> input) {
    GatheredHello hello;
    Reader records(input);
    while (records.left() >= kRecordHeader) {
        unsigned type = records.u8();
        unsigned major = records.u8();
        records.u8();  // minor version: anything from SSL 3.0 on is fine for a ClientHello
        std::size_t length = records.u16();
        if (type != kHandshakeRecord || major != 3 || length == 0 || length > kMaxRecordPayload) {
            hello.state = Gather::malformed;
            return hello;
        }
        auto payload = records.take(std::min(length, records.left()));
        hello.message.insert(hello.message.end(), payload.begin(), payload.end());
        std::size_t wanted = expected_size(hello.message);
        if (wanted != 0 && hello.message.size() >= wanted) {
            hello.message.resize(wanted);
            hello.state = Gather::whole;
            return hello;
        }
    }
    return hello;
}

void read_server_name(Reader extension, ClientHelloInfo& info) {
    Reader list(extension.vector(2));
    while (list.ok() && list.left() > 0) {
        unsigned name_type = list.u8();
        auto name = list.vector(2);
        if (list.ok() && name_type == 0 && info.server_name.empty()) {
            info.server_name.assign(reinterpret_cast<const char*>(name.data()), name.size());
        }
    }
}

void read_alpn(Reader extension, ClientHelloInfo& info) {
    Reader list(extension.vector(2));
    while (list.ok() && list.left() > 0) {
        auto protocol = list.vector(1);
        std::string_view name(reinterpret_cast<const char*>(protocol.data()), protocol.size());
        if (name == "h2")
            info.offers_h2 = true;
        if (name == "http/1.1")
            info.offers_http11 = true;
    }
}

bool read_extensions(Reader extensions, ClientHelloInfo& info) {
    while (extensions.ok() && extensions.left() > 0) {
        unsigned type = extensions.u16();
        auto data = extensions.vector(2);
        if (!extensions.ok())
            return false;
        if (type == kServerNameExtension)
            read_server_name(Reader(data), info);
        if (type == kAlpnExtension)
            read_alpn(Reader(data), info);
    }
    return extensions.ok();
}

bool read_client_hello(std::span<const std::byte> body, ClientHelloInfo& info) {
    Reader hello(body);
    hello.u16();      // legacy_version
    hello.take(32);   // random
    hello.vector(1);  // legacy_session_id
    hello.vector(2);  // cipher_suites
    hello.vector(1);  // legacy_compression_methods
    if (!hello.ok())
        return false;
    if (hello.left() == 0)
        return true;  // no extensions: an old client, no SNI
    return read_extensions(Reader(hello.vector(2)), info) && hello.ok();
}

ClientHelloInfo failed() {
    ClientHelloInfo info;
    info.status = HelloStatus::error;
    return info;
}

}  // namespace

ClientHelloInfo parse_client_hello(std::span<const std::byte> input) {
    ClientHelloInfo info;
    if (input.empty())
        return info;
    if (std::to_integer<unsigned>(input[0]) != kHandshakeRecord)
        return failed();
    bool at_bound = input.size() >= kMaxClientHelloBytes;
    GatheredHello hello = gather_hello(input.first(std::min(input.size(), kMaxClientHelloBytes)));
    if (hello.state == Gather::malformed)
        return failed();
    if (hello.message.size() >= 1 &&
        std::to_integer<unsigned>(hello.message[0]) != kClientHelloMessage) {
        return failed();
    }
    std::size_t wanted = expected_size(hello.message);
    if (wanted > kMaxClientHelloBytes)
        return failed();
    if (hello.state == Gather::partial)
        return at_bound ? failed() : info;
    auto body = std::span<const std::byte>(hello.message).subspan(4);
    if (!read_client_hello(body, info))
        return failed();
    info.status = HelloStatus::complete;
    return info;
}

}  // namespace bulkhead::proto
