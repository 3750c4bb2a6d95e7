// Cipher lists checked against OpenSSL itself (tls_ciphers.hpp). OpenSSL silently skips the
// entries of a list it does not know as long as one entry selects something, so each entry is
// also tried alone: a typo is reported, not quietly dropped.

#include "config/tls_ciphers.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>
#include <vector>

#include "config/reader.hpp"

namespace bulkhead::config {

namespace {

struct ContextFree {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using ContextPtr = std::unique_ptr<SSL_CTX, ContextFree>;

// security_level 0 lets an entry alone match even ciphers the default level filters (aNULL,
// eNULL): whether OpenSSL knows a name, not whether it would use it, is asked.
ContextPtr scratch_context(int security_level) {
    ContextPtr context(SSL_CTX_new(TLS_method()));
    if (context) {
        SSL_CTX_set_security_level(context.get(), security_level);
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
    ContextPtr any_level = scratch_context(0);
    ContextPtr default_level = scratch_context(1);
    if (!any_level || !default_level) {
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
        if (!name.empty() && selects_something(any_level.get(), name)) {
            continue;
        }
        if (!name.empty() && is_tls13_suite(any_level.get(), name)) {
            return detail::quote(entry) + " is a TLS 1.3 suite; list it in ciphersuites instead";
        }
        return detail::quote(entry) + " names no cipher OpenSSL knows";
    }
    if (!selects_something(default_level.get(), list)) {
        return detail::quote(list) + " selects no cipher OpenSSL would use";
    }
    return std::nullopt;
}

std::optional<std::string> ciphersuites_problem(std::string_view list) {
    ContextPtr context = scratch_context(0);
    if (!context) {
        return "OpenSSL could not make a context to check it";
    }
    std::vector<std::string_view> entries = split(list, ":");
    for (std::string_view entry : entries) {
        if (!is_tls13_suite(context.get(), entry)) {
            return detail::quote(entry) + " is not a TLS 1.3 suite OpenSSL knows";
        }
    }
    if (entries.empty()) {
        return detail::quote(list) + " names no suite";
    }
    return std::nullopt;
}

}  // namespace bulkhead::config
