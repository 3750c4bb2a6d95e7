#include "proto/client_hello.hpp"

#include <optional>
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
    std::span<const std::byte> vector(std::size_t width) { return take(static_cast<std::size_t>(number(width))); }

private:
    std::uint64_t number(std::size_t width) {
        std::uint64_t value = 0;
        for (std::byte b : take(width)) value = (value << 8) | std::to_integer<unsigned>(b);
        return value;
    }
    std::span<const std::byte> bytes_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

// The handshake bytes carried by the leading run of handshake records; nullopt on a record
// that is not a handshake or is malformed. `complete_records` says whether the input ended
// on a record boundary.
std::optional<std::vector<std::byte>> handshake_bytes(std::span<const std::byte> input, bool& truncated) {
    std::vector<std::byte> handshake;
    Reader records(input);
    truncated = false;
    while (records.left() > 0) {
        if (records.left() < kRecordHeader) {
            truncated = true;
            break;
        }
        unsigned type = records.u8();
        unsigned major = records.u8();
        records.u8();  // minor version: anything from SSL 3.0 on is fine for a ClientHello
        std::size_t length = records.u16();
        if (type != kHandshakeRecord || major != 3 || length == 0 || length > kMaxRecordPayload) {
            return std::nullopt;
        }
        if (records.left() < length) {
            auto partial = records.take(records.left());
            handshake.insert(handshake.end(), partial.begin(), partial.end());
            truncated = true;
            break;
        }
        auto payload = records.take(length);
        handshake.insert(handshake.end(), payload.begin(), payload.end());
    }
    return handshake;
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
        if (name == "h2") info.offers_h2 = true;
        if (name == "http/1.1") info.offers_http11 = true;
    }
}

bool read_extensions(Reader extensions, ClientHelloInfo& info) {
    while (extensions.ok() && extensions.left() > 0) {
        unsigned type = extensions.u16();
        auto data = extensions.vector(2);
        if (!extensions.ok()) return false;
        if (type == kServerNameExtension) read_server_name(Reader(data), info);
        if (type == kAlpnExtension) read_alpn(Reader(data), info);
    }
    return extensions.ok();
}

bool read_client_hello(std::span<const std::byte> body, ClientHelloInfo& info) {
    Reader hello(body);
    hello.u16();                          // legacy_version
    hello.take(32);                       // random
    hello.vector(1);                      // legacy_session_id
    hello.vector(2);                      // cipher_suites
    hello.vector(1);                      // legacy_compression_methods
    if (!hello.ok()) return false;
    if (hello.left() == 0) return true;   // no extensions: an old client, no SNI
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
    if (input.empty()) return info;
    if (std::to_integer<unsigned>(input[0]) != kHandshakeRecord) return failed();
    bool truncated = false;
    auto handshake = handshake_bytes(input.first(std::min(input.size(), kMaxClientHelloBytes)), truncated);
    if (!handshake) return failed();
    if (handshake->size() < 4) {
        return input.size() >= kMaxClientHelloBytes ? failed() : info;
    }
    Reader header(*handshake);
    unsigned message = header.u8();
    std::size_t length = header.u24();
    if (message != kClientHelloMessage || length + 4 > kMaxClientHelloBytes) {
        return failed();
    }
    if (handshake->size() < length + 4) {
        bool room = input.size() < kMaxClientHelloBytes && (truncated || handshake->size() < length + 4);
        return room ? info : failed();
    }
    if (!read_client_hello(std::span<const std::byte>(*handshake).subspan(4, length), info)) {
        return failed();
    }
    info.status = HelloStatus::complete;
    return info;
}

}  // namespace bulkhead::proto
