#pragma once
// Throwaway certificates for the TLS file tests, made with the OpenSSL API into a temporary
// directory the test owns: a CA, leaves signed by it with any validity (in the past, the
// future, expiring soon), keys (plain or encrypted) and OCSP responses. EC P-256 keys: fast.

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bulkhead::config::testing {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
    void operator()(X509* cert) const { X509_free(cert); }
};
using Pkey = std::shared_ptr<EVP_PKEY>;
using Cert = std::shared_ptr<X509>;

inline Pkey make_key() {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (key == nullptr)
        throw std::runtime_error("EVP_PKEY_Q_keygen failed");
    return Pkey(key, PkeyFree{});
}

// Validity in seconds relative to now: {-3600, 30 * 86400} is "valid for 30 days".
struct Validity {
    long from_seconds = -3600;
    long until_seconds = 30L * 86400;
};

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (extension == nullptr)
        throw std::runtime_error("bad extension " + value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
}

// A certificate for `key` named `common_name` with `names` as DNS subjectAltNames, signed by
// `issuer_key` (and `issuer`; itself when null).
inline Cert make_cert(const Pkey& key, const std::string& common_name,
                      const std::vector<std::string>& names, Validity validity, const Cert& issuer,
                      const Pkey& issuer_key, bool is_ca) {
    static long serial = 1;
    Cert cert(X509_new(), CertFree{});
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), validity.from_seconds);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity.until_seconds);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509* signer = issuer ? issuer.get() : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    add_extension(cert.get(), signer, NID_basic_constraints,
                  is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (!names.empty()) {
        std::string alt;
        for (const std::string& n : names)
            alt += (alt.empty() ? "DNS:" : ",DNS:") + n;
        add_extension(cert.get(), signer, NID_subject_alt_name, alt);
    }
    if (X509_sign(cert.get(), issuer_key.get(), EVP_sha256()) == 0) {
        throw std::runtime_error("X509_sign failed");
    }
    return cert;
}

inline std::string pem_of(const Cert& cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert.get());
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return out;
}

// PEM (PKCS#8); encrypted with `passphrase` when it is not empty.
inline std::string pem_of(const Pkey& key, const std::string& passphrase = "") {
    BIO* bio = BIO_new(BIO_s_mem());
    if (passphrase.empty()) {
        PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
        PEM_write_bio_PKCS8PrivateKey(bio, key.get(), EVP_aes_256_cbc(), passphrase.data(),
                                      static_cast<int>(passphrase.size()), nullptr, nullptr);
    }
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return out;
}

// A DER OCSP response: "good" for `leaf` signed by `ca`, or just `status` when that is not
// OCSP_RESPONSE_STATUS_SUCCESSFUL.
inline std::string ocsp_response_der(const Cert& leaf, const Cert& ca, const Pkey& ca_key,
                                     int status = OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    OCSP_BASICRESP* basic = nullptr;
    if (status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        basic = OCSP_BASICRESP_new();
        OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf.get(), ca.get());
        ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
        ASN1_TIME* next = X509_gmtime_adj(nullptr, 7 * 86400);
        OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, now, next);
        OCSP_basic_sign(basic, ca.get(), ca_key.get(), EVP_sha256(), nullptr, 0);
        OCSP_CERTID_free(id);
        ASN1_TIME_free(now);
        ASN1_TIME_free(next);
    }
    OCSP_RESPONSE* response = OCSP_response_create(status, basic);
    unsigned char* der = nullptr;
    int length = i2d_OCSP_RESPONSE(response, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    OCSP_RESPONSE_free(response);
    OCSP_BASICRESP_free(basic);
    return out;
}

// A temporary directory, removed with everything in it when the test ends.
class ScratchDirectory {
  public:
    ScratchDirectory() {
        char pattern[] = "/tmp/bulkhead-tls-test-XXXXXX";
        if (mkdtemp(pattern) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ScratchDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;

    // Writes `content` to <dir>/<name> with `mode`; returns the path.
    std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
        std::string path = path_ + "/" + name;
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
        chmod(path.c_str(), mode);
        return path;
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// "2020-02-01": a certificate's first or last day, as the messages print it.
inline std::string date_of(const ASN1_TIME* time) {
    struct tm broken_down {};
    ASN1_TIME_to_tm(time, &broken_down);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &broken_down);
    return text;
}
inline std::string not_after_date(const Cert& cert) {
    return date_of(X509_get0_notAfter(cert.get()));
}
inline std::string not_before_date(const Cert& cert) {
    return date_of(X509_get0_notBefore(cert.get()));
}

}  // namespace bulkhead::config::testing
