#pragma once
// site.tls.ciphers and site.tls.ciphersuites, checked by applying them to a scratch OpenSSL
// context at load: a list the worker's OpenSSL would reject, or an entry it does not know, is a
// configuration error rather than a worker that cannot start.

#include <optional>
#include <string>
#include <string_view>

namespace bulkhead::config {

// What is wrong with a TLS 1.2 cipher list in OpenSSL syntax ("ECDHE+AESGCM:!aNULL"), or
// nullopt if OpenSSL accepts it and knows every entry.
std::optional<std::string> cipher_list_problem(std::string_view list);

// The same for a TLS 1.3 ciphersuite list ("TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256").
std::optional<std::string> ciphersuites_problem(std::string_view list);

}  // namespace bulkhead::config
