#include "dispatcher/tls_alert.hpp"

#include <array>

namespace bulkhead::dispatcher {
namespace {

constexpr char kAlertRecord = 21;
constexpr char kFatal = 2;

// Record version 3.3 (TLS 1.2): what TLS 1.3 also writes on the wire, and what every client
// accepts in the record that answers its ClientHello.
constexpr std::array<char, 7> record_for(TlsAlert alert) {
    return {kAlertRecord, 3, 3, 0, 2, kFatal, static_cast<char>(alert)};
}

constexpr std::array<char, 7> kDecodeError = record_for(TlsAlert::decode_error);
constexpr std::array<char, 7> kInternalError = record_for(TlsAlert::internal_error);
constexpr std::array<char, 7> kUnrecognizedName = record_for(TlsAlert::unrecognized_name);

std::string_view view_of(const std::array<char, 7>& record) {
    return std::string_view(record.data(), record.size());
}

}  // namespace

std::string_view fatal_alert_record(TlsAlert alert) {
    switch (alert) {
        case TlsAlert::internal_error:
            return view_of(kInternalError);
        case TlsAlert::unrecognized_name:
            return view_of(kUnrecognizedName);
        case TlsAlert::decode_error:
            break;
    }
    return view_of(kDecodeError);
}

std::optional<TlsAlert> alert_for_status(int status) {
    switch (status) {
        case 408:
            return std::nullopt;  // the client was too slow: nothing to tell it
        case 503:
            return TlsAlert::internal_error;
        case 404:
        case 421:
            return TlsAlert::unrecognized_name;
        default:
            return TlsAlert::decode_error;  // 400, 414, 431, 501, 505: malformed input
    }
}

}  // namespace bulkhead::dispatcher
