#pragma once
// The files of a site's [site.tls], checked when the configuration is loaded, so that `check`,
// `run` and a SIGHUP reload all refuse a certificate that cannot work: the certificate chain
// (PEM, leaf first), the private key (PEM, unencrypted, matching the leaf) and an optional OCSP
// response (DER). The master reads them as root only to check them; it never uses them.

#include <cstdint>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace bulkhead::config {

// A certificate that expires sooner than this gets a warning.
inline constexpr std::int64_t kExpiryWarningSeconds = 14 * 24 * 3600;

struct TlsFinding {
    bool warning = false;  // false: an error, the configuration is refused
    SourcePosition where;  // the value of site.tls.cert, .key or .ocsp_response
    std::string message;   // "site alpha: certificate /etc/x.crt expired on 2020-02-01"
};

struct TlsInspection {
    TlsFileFacts facts;
    std::vector<TlsFinding> findings;
};

// Reads tls.cert, tls.key and tls.ocsp_response (when set) and checks them against each other,
// the site's host names and the time `now` (seconds since the epoch). `site` names the site in
// the messages.
TlsInspection inspect_tls_files(const std::string& site, const TlsConfig& tls,
                                const std::vector<std::string>& hosts, std::int64_t now);

// "2020-02-01": a time as the messages and the plan print it (UTC).
std::string format_date(std::int64_t seconds_since_epoch);

}  // namespace bulkhead::config
