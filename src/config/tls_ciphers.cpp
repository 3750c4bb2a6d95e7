// Cipher lists checked against OpenSSL itself (tls_ciphers.hpp). OpenSSL silently skips the
// entries of a list it does not know as long as one entry selects something, so each entry is
// also tried alone: a typo is reported, not quietly dropped.

#include "config/tls_ciphers.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <vector>

#include "config/reader.hpp"

namespace bulkhead::config {

namespace {

// security_level 0 lets an entry alone match even ciphers the default level filters (aNULL,
// eNULL): whether OpenSSL knows a name, not whether it would use it, is asked. One context
// per level for the process (each check replaces its list): making one costs more than the
// checks, and a reload checks every site's lists again.
// They are never freed: a destructor at exit could run after OpenSSL's own clean-up.
SSL_CTX* scratch_context(int security_level) {
    static SSL_CTX* contexts[2] = {};
    SSL_CTX*& context = contexts[security_level == 0 ? 0 : 1];
    if (context == nullptr) {
        context = SSL_CTX_new(TLS_method());
        if (context != nullptr)
            SSL_CTX_set_security_level(context, security_level);
    }
    return context;
}

std::vector<std::string_view> split(std::string_view list, std::string_view separators) {
    std::vector<std::string_view> out;
    while (!list.empty()) {
        std::size_t end = list.find_first_of(separators);
        std::string_view entry = list.substr(0, end);
        if (!entry.empty()) {
            out.push_back(entry);
        }
        list = end == std::string_view::npos ? std::string_view() : list.substr(end + 1);
    }
    return out;
}

// OpenSSL's syntax: entries separated by ':', ',', ';' or ' '; "!X", "-X", "+X" act on the
// ciphers X names; "@STRENGTH" and "@SECLEVEL=n" are directives.
bool selects_something(SSL_CTX* context, std::string_view entry) {
    std::string text(entry);
    bool ok = SSL_CTX_set_cipher_list(context, text.c_str()) == 1;
    ERR_clear_error();
    return ok;
}

bool is_tls13_suite(SSL_CTX* context, std::string_view entry) {
    std::string text(entry);
    bool ok = SSL_CTX_set_ciphersuites(context, text.c_str()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace

std::optional<std::string> cipher_list_problem(std::string_view list) {
    SSL_CTX* any_level = scratch_context(0);
    SSL_CTX* default_level = scratch_context(1);
    if (any_level == nullptr || default_level == nullptr) {
        return "OpenSSL could not make a context to check it";
    }
    for (std::string_view entry : split(list, ":,; ")) {
        std::string_view name = entry;
        if (name.front() == '!' || name.front() == '-' || name.front() == '+') {
            name.remove_prefix(1);
        }
        if (name.starts_with("@")) {
            continue;
        }
        if (!name.empty() && selects_something(any_level, name)) {
            continue;
        }
        if (!name.empty() && is_tls13_suite(any_level, name)) {
            return detail::quote(entry) + " is a TLS 1.3 suite; list it in ciphersuites instead";
        }
        return detail::quote(entry) + " names no cipher OpenSSL knows";
    }
    if (!selects_something(default_level, list)) {
        return detail::quote(list) + " selects no cipher OpenSSL would use";
    }
    return std::nullopt;
}

std::optional<std::string> ciphersuites_problem(std::string_view list) {
    SSL_CTX* context = scratch_context(0);
    if (context == nullptr) {
        return "OpenSSL could not make a context to check it";
    }
    std::vector<std::string_view> entries = split(list, ":");
    for (std::string_view entry : entries) {
        if (!is_tls13_suite(context, entry)) {
            return detail::quote(entry) + " is not a TLS 1.3 suite OpenSSL knows";
        }
    }
    if (entries.empty()) {
        return detail::quote(list) + " names no suite";
    }
    return std::nullopt;
}

}  // namespace bulkhead::config
