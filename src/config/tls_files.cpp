// The certificate, key and OCSP checks of [site.tls] (tls_files.hpp). Each problem becomes one
// finding at the value that names the file, saying which site, which file and what is wrong.

#include "config/tls_files.hpp"

#include "config/guarded_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include "base/unique_fd.hpp"

namespace bulkhead::config {

namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;  // chains, keys and OCSP responses are a few KiB
constexpr std::size_t kMaxChainLength = 16;

struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct OcspFree {
    void operator()(OCSP_RESPONSE* response) const { OCSP_RESPONSE_free(response); }
};
struct DigestFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// A file's bytes; a key's are wiped when it goes.
struct FileContents {
    std::string bytes;
    mode_t mode = 0;
    int error_number = 0;  // of open or read; 0 when `failure` is about the file itself
    std::string failure;   // "" when read; else why not: "No such file or directory"

    FileContents() = default;
    FileContents(const FileContents&) = delete;
    FileContents& operator=(const FileContents&) = delete;
    ~FileContents() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

void fail(FileContents& out, int error_number) {
    out.error_number = error_number;
    out.failure = std::strerror(error_number);
}

// Regular files only: a FIFO or a device at the path would block or never end.
void read_file(const std::string& path, FileContents& out) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    struct stat info {};
    if (!fd || fstat(fd.get(), &info) != 0) {
        return fail(out, errno);
    }
    out.mode = info.st_mode;
    if (!S_ISREG(info.st_mode)) {
        out.failure = "not a regular file";
        return;
    }
    if (static_cast<std::size_t>(info.st_size) > kMaxFileBytes) {
        out.failure = "larger than 1M";
        return;
    }
    out.bytes.resize(static_cast<std::size_t>(info.st_size));
    std::size_t have = 0;
    while (have < out.bytes.size()) {
        ssize_t got = read(fd.get(), out.bytes.data() + have, out.bytes.size() - have);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return fail(out, errno);
        }
        if (got == 0) {
            break;  // shrank while being read: check what is there
        }
        have += static_cast<std::size_t>(got);
    }
    out.bytes.resize(have);
}

BioPtr memory_bio(const std::string& bytes) {
    return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// The last OpenSSL error said "no more PEM blocks", i.e. the file ended cleanly.
bool ended_cleanly() {
    unsigned long error = ERR_peek_last_error();
    return error == 0 ||
           (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE);
}

std::optional<std::int64_t> seconds_of(const ASN1_TIME* time) {
    struct tm broken_down {};
    if (time == nullptr || ASN1_TIME_to_tm(time, &broken_down) != 1) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(timegm(&broken_down));
}

// A certificate name pattern as X509_check_host takes it: "*.alpha.example" becomes
// ".alpha.example", which any name beneath alpha.example in the certificate matches.
std::string host_to_check(const std::string& host) {
    return host.starts_with("*.") ? host.substr(1) : host;
}

std::string join_hosts(const std::vector<std::string>& hosts) {
    std::string out;
    for (const std::string& host : hosts) {
        out += (out.empty() ? "" : ", ") + host;
    }
    return out;
}

// Refuses every passphrase prompt, remembering that one was asked for.
int refuse_passphrase(char*, int, int, void* asked) {
    *static_cast<bool*>(asked) = true;
    return -1;
}

class Inspector {
  public:
    Inspector(const std::string& site, const TlsConfig& tls, std::int64_t now)
        : subject_("site " + site + ": "), tls_(tls), now_(now) {}

    TlsInspection run(const std::vector<std::string>& hosts);

  private:
    void error(SourcePosition where, const std::string& message) {
        result_.findings.push_back(TlsFinding{false, where, subject_ + message});
    }
    void warning(SourcePosition where, const std::string& message) {
        result_.findings.push_back(TlsFinding{true, where, subject_ + message});
    }
    void check_guarded(const std::string& path, SourcePosition where, const char* what);
    bool read_certificates();
    void check_validity();
    void check_hosts(const std::vector<std::string>& hosts);
    void check_key();
    bool read_key(const FileContents& file, KeyPtr& key);
    void check_key_matches(EVP_PKEY* key);
    void check_ocsp();
    void add_to_digest(const FileContents& file);

    std::string subject_;  // "site alpha: "
    const TlsConfig& tls_;
    std::int64_t now_;
    std::vector<X509Ptr> chain_;
    std::unique_ptr<EVP_MD_CTX, DigestFree> digest_{EVP_MD_CTX_new()};
    TlsInspection result_;
};

bool Inspector::read_certificates() {
    FileContents file;
    read_file(tls_.cert, file);
    add_to_digest(file);
    if (!file.failure.empty()) {
        error(tls_.cert_position, "cannot read certificate " + tls_.cert + ": " + file.failure);
        return false;
    }
    BioPtr bio = memory_bio(file.bytes);
    ERR_clear_error();
    while (chain_.size() <= kMaxChainLength) {
        X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (cert == nullptr) {
            break;
        }
        chain_.emplace_back(cert);
    }
    bool clean = ended_cleanly();
    ERR_clear_error();
    std::string ordinal = std::to_string(chain_.size() + 1);
    if (chain_.size() > kMaxChainLength) {
        error(tls_.cert_position, "certificate " + tls_.cert + " holds more than " +
                                      std::to_string(kMaxChainLength) +
                                      " certificates; give the leaf and its intermediates only");
    } else if (!clean) {
        error(tls_.cert_position, "certificate " + tls_.cert + ": certificate " + ordinal +
                                      " in the file is malformed; give a PEM chain, leaf first");
    } else if (chain_.empty()) {
        error(tls_.cert_position,
              "certificate " + tls_.cert +
                  " holds no PEM certificate; give the chain in PEM (-----BEGIN CERTIFICATE-----), "
                  "leaf first");
    }
    result_.facts.chain_length = static_cast<std::uint32_t>(chain_.size());
    return clean && !chain_.empty() && chain_.size() <= kMaxChainLength;
}

void Inspector::check_validity() {
    X509* leaf = chain_.front().get();
    auto not_before = seconds_of(X509_get0_notBefore(leaf));
    auto not_after = seconds_of(X509_get0_notAfter(leaf));
    if (!not_before || !not_after) {
        error(tls_.cert_position,
              "certificate " + tls_.cert + " has an unreadable validity period");
        return;
    }
    result_.facts.not_before = *not_before;
    result_.facts.not_after = *not_after;
    if (now_ < *not_before) {
        error(tls_.cert_position, "certificate " + tls_.cert + " is not valid before " +
                                      format_date(*not_before) + "; check the host's clock");
    } else if (now_ >= *not_after) {
        error(tls_.cert_position,
              "certificate " + tls_.cert + " expired on " + format_date(*not_after) + "; renew it");
    } else if (*not_after - now_ < kExpiryWarningSeconds) {
        std::int64_t days = (*not_after - now_ + 86'399) / 86'400;
        warning(tls_.cert_position, "certificate " + tls_.cert + " expires on " +
                                        format_date(*not_after) + ", in " + std::to_string(days) +
                                        (days == 1 ? " day" : " days") +
                                        "; renew it (SIGHUP puts a renewed one in place)");
    }
}

void Inspector::check_hosts(const std::vector<std::string>& hosts) {
    X509* leaf = chain_.front().get();
    for (const std::string& host : hosts) {
        std::string name = host_to_check(host);
        if (X509_check_host(leaf, name.data(), name.size(), 0, nullptr) == 1) {
            return;
        }
    }
    if (!hosts.empty()) {
        warning(tls_.cert_position, "certificate " + tls_.cert +
                                        " covers none of the site's hosts (" + join_hosts(hosts) +
                                        "); clients will refuse it");
    }
}

bool Inspector::read_key(const FileContents& file, KeyPtr& key) {
    BioPtr bio = memory_bio(file.bytes);
    bool passphrase_asked = false;
    ERR_clear_error();
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &passphrase_asked));
    ERR_clear_error();
    if (key) {
        return true;
    }
    if (passphrase_asked) {
        error(tls_.key_position,
              "key " + tls_.key +
                  " is encrypted with a passphrase, which nobody can type at start; store it "
                  "unencrypted, readable by root only (openssl pkey -in KEY -out PLAIN)");
    } else {
        error(tls_.key_position,
              "key " + tls_.key +
                  " holds no PEM private key; give it in PEM (-----BEGIN PRIVATE KEY-----)");
    }
    return false;
}

void Inspector::check_key_matches(EVP_PKEY* key) {
    bool matches = X509_check_private_key(chain_.front().get(), key) == 1;
    ERR_clear_error();
    if (matches) {
        return;
    }
    std::string advice = "; give the key of the certificate's leaf, or the certificate of this key";
    for (std::size_t i = 1; i < chain_.size(); ++i) {
        bool matches_other = X509_check_private_key(chain_[i].get(), key) == 1;
        ERR_clear_error();
        if (matches_other) {
            advice = "; it matches certificate " + std::to_string(i + 1) +
                     " in the file: put the leaf certificate first";
            break;
        }
    }
    error(tls_.key_position,
          "key " + tls_.key + " does not match certificate " + tls_.cert + advice);
}

void Inspector::check_key() {
    FileContents file;
    read_file(tls_.key, file);
    add_to_digest(file);
    if (!file.failure.empty()) {
        if (file.error_number == EACCES && geteuid() != 0) {
            // `check` by an administrator without root: the key is rightly root's alone.
            warning(tls_.key_position, "cannot read key " + tls_.key + " as uid " +
                                           std::to_string(geteuid()) + " (" + file.failure +
                                           "); run check as root to test it against the "
                                           "certificate");
        } else {
            error(tls_.key_position, "cannot read key " + tls_.key + ": " + file.failure);
        }
        return;
    }
    if (file.mode & S_IROTH) {
        warning(tls_.key_position, "key " + tls_.key +
                                       " is readable by every user; make it readable by root "
                                       "only (chmod 600, owner root)");
    }
    KeyPtr key;
    if (read_key(file, key) && !chain_.empty()) {
        check_key_matches(key.get());
    }
}

void Inspector::check_ocsp() {
    FileContents file;
    read_file(tls_.ocsp_response, file);
    add_to_digest(file);
    if (!file.failure.empty()) {
        error(tls_.ocsp_position,
              "cannot read OCSP response " + tls_.ocsp_response + ": " + file.failure);
        return;
    }
    const auto* start = reinterpret_cast<const unsigned char*>(file.bytes.data());
    const unsigned char* cursor = start;
    std::unique_ptr<OCSP_RESPONSE, OcspFree> response(
        d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(file.bytes.size())));
    ERR_clear_error();
    if (!response || cursor != start + file.bytes.size()) {
        error(tls_.ocsp_position, "OCSP response " + tls_.ocsp_response +
                                      " is not a DER-encoded OCSP response; fetch one with "
                                      "openssl ocsp ... -respout FILE");
        return;
    }
    int status = OCSP_response_status(response.get());
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        error(tls_.ocsp_position, "OCSP response " + tls_.ocsp_response + " says \"" +
                                      OCSP_response_status_str(status) +
                                      "\", not \"successful\"; staple a successful response");
    }
}

// Each file as its length and bytes, so no two different sets of files digest alike.
void Inspector::add_to_digest(const FileContents& file) {
    std::uint64_t length = file.failure.empty() ? file.bytes.size() : ~std::uint64_t{0};
    EVP_DigestUpdate(digest_.get(), &length, sizeof length);
    EVP_DigestUpdate(digest_.get(), file.bytes.data(), file.bytes.size());
}

// Root opens these files for the site's workers: nobody else may be able to swap them.
void Inspector::check_guarded(const std::string& path, SourcePosition where, const char* what) {
    if (auto why = unguarded_component(path, geteuid())) {
        error(where, std::string(what) + " " + path + ": " + *why +
                         ", so another user could swap in another site's file; keep TLS files "
                         "where only root can change them");
    }
}

TlsInspection Inspector::run(const std::vector<std::string>& hosts) {
    check_guarded(tls_.cert, tls_.cert_position, "certificate");
    check_guarded(tls_.key, tls_.key_position, "key");
    if (!tls_.ocsp_response.empty())
        check_guarded(tls_.ocsp_response, tls_.ocsp_position, "OCSP response");
    EVP_DigestInit_ex(digest_.get(), EVP_sha256(), nullptr);
    if (read_certificates()) {
        check_validity();
        check_hosts(hosts);
    }
    check_key();
    if (!tls_.ocsp_response.empty()) {
        check_ocsp();
    }
    unsigned int length = 0;
    EVP_DigestFinal_ex(digest_.get(), result_.facts.contents_sha256.data(), &length);
    return std::move(result_);
}

}  // namespace

std::string format_date(std::int64_t seconds_since_epoch) {
    std::time_t time = static_cast<std::time_t>(seconds_since_epoch);
    struct tm broken_down {};
    char text[32] = "?";
    if (gmtime_r(&time, &broken_down) != nullptr) {
        std::strftime(text, sizeof text, "%Y-%m-%d", &broken_down);
    }
    return text;
}

TlsInspection inspect_tls_files(const std::string& site, const TlsConfig& tls,
                                const std::vector<std::string>& hosts, std::int64_t now) {
    return Inspector(site, tls, now).run(hosts);
}

}  // namespace bulkhead::config
