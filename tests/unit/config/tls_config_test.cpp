// [site.tls]: every key read back, a table of bad values with the exact problem each gives, and
// the certificate checks through parse_config with real files (errors and warnings at the
// FILE:LINE:COLUMN of the key that names the file).

#include <gtest/gtest.h>

#include "config/load.hpp"
#include "fake_environment.hpp"
#include "test_certificates.hpp"

namespace bulkhead::config {
namespace {

using testing::fake_environment;

constexpr const char* kFile = "test.toml";

// Lines 1-8: a server with both listeners and a site; [site.tls] follows on line 9.
const std::string kSite = R"([server]
listen = ["127.0.0.1:0"]
tls_listen = ["127.0.0.1:0"]
[[site]]
name = "alpha"
hosts = ["alpha.example", "*.alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
)";

std::string with_tls(const std::string& keys) {
    return kSite +
           "[site.tls]\ncert = \"/etc/bulkhead/alpha.crt\"\n"
           "key = \"/etc/bulkhead/alpha.key\"\n" +
           keys;  // from line 12
}

std::string joined(const std::vector<Problem>& problems) {
    std::string out;
    for (const auto& problem : problems)
        out += problem.to_string() + "\n";
    return out.empty() ? "(no problems)\n" : out;
}

TlsConfig tls_of(const std::string& text) {
    auto config = parse_config(text, kFile, fake_environment());
    EXPECT_TRUE(config.has_value()) << (config ? "" : joined(config.error()));
    if (!config || !config->sites.at(0).tls)
        return {};
    return *config->sites.at(0).tls;
}

TEST(TlsConfig, Defaults) {
    TlsConfig tls = tls_of(with_tls(""));
    EXPECT_EQ(tls.cert, "/etc/bulkhead/alpha.crt");
    EXPECT_EQ(tls.key, "/etc/bulkhead/alpha.key");
    EXPECT_EQ(tls.min_version, kTls12);
    EXPECT_EQ(tls.ciphers, "");
    EXPECT_EQ(tls.ciphersuites, "");
    EXPECT_EQ(tls.ocsp_response, "");
    EXPECT_FALSE(tls.redirect_http);
    EXPECT_EQ(tls.hsts_max_age_ms, 0u);
    EXPECT_FALSE(tls.hsts_include_subdomains);
    EXPECT_EQ(tls.files.chain_length, 2u);  // from the fake inspection
    EXPECT_EQ(tls.files.not_after, testing::kFakeNotAfter);
    EXPECT_EQ(tls.cert_position.line, 10u);
    EXPECT_EQ(tls.cert_position.column, 8u);
    EXPECT_EQ(tls.key_position.line, 11u);
}

TEST(TlsConfig, EveryKey) {
    TlsConfig tls = tls_of(with_tls(R"(min_version = "1.3"
ciphers = "ECDHE+AESGCM:!aNULL:@STRENGTH"
ciphersuites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
ocsp_response = "/etc/bulkhead/alpha.ocsp"
redirect_http = true
hsts = "365d"
hsts_include_subdomains = true
)"));
    EXPECT_EQ(tls.min_version, kTls13);
    EXPECT_EQ(tls.ciphers, "ECDHE+AESGCM:!aNULL:@STRENGTH");
    EXPECT_EQ(tls.ciphersuites, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    EXPECT_EQ(tls.ocsp_response, "/etc/bulkhead/alpha.ocsp");
    EXPECT_EQ(tls.ocsp_position.line, 15u);
    EXPECT_TRUE(tls.redirect_http);
    EXPECT_EQ(tls.hsts_max_age_ms, 365ULL * 86'400'000);
    EXPECT_TRUE(tls.hsts_include_subdomains);
}

TEST(TlsConfig, HstsZeroMeansNone) {
    TlsConfig tls = tls_of(with_tls("hsts = \"0s\"\n"));
    EXPECT_EQ(tls.hsts_max_age_ms, 0u);
}

TEST(TlsConfig, UnknownHostSiteWithoutTlsIsAllowed) {
    // TLS connections with unknown names then get an alert from the dispatcher: documented,
    // not an error.
    auto config = parse_config(R"([server]
listen = ["127.0.0.1:0"]
tls_listen = ["127.0.0.1:0"]
unknown_host = "alpha"
[[site]]
name = "alpha"
hosts = ["alpha.example"]
user = "alpha"
root = "/srv/alpha/public"
)",
                               kFile, fake_environment());
    EXPECT_TRUE(config.has_value()) << (config ? "" : joined(config.error()));
}

struct BadTls {
    const char* name;
    std::string keys;      // after cert and key, from line 12
    std::string expected;  // "LINE:COLUMN: message", after "test.toml:"
};

const BadTls kBadTls[] = {
    {"unknown key", "chain = \"/x\"\n",
     "12:9: site.tls.chain: unknown key; the keys of [site.tls] are: cert, key, min_version, "
     "ciphers, ciphersuites, ocsp_response, redirect_http, hsts, hsts_include_subdomains"},
    {"min_version 1.1", "min_version = \"1.1\"\n",
     "12:15: site.tls.min_version: \"1.1\" is not a TLS version bulkhead offers; write \"1.2\" "
     "(1.2 and 1.3) or \"1.3\" (1.3 only)"},
    {"min_version a number", "min_version = 1.2\n",
     "12:15: site.tls.min_version: expected a string like \"1.2\", found the number 1.200000"},
    {"unknown cipher", "ciphers = \"FOO\"\n",
     "12:11: site.tls.ciphers: \"FOO\" names no cipher OpenSSL knows; write e.g. "
     "\"ECDHE+AESGCM:ECDHE+CHACHA20\", or remove the key for the default"},
    {"one typo in a list", "ciphers = \"ECDHE+AESGCM:ECDHE-RSA-AES128-GCM-SHA257\"\n",
     "12:11: site.tls.ciphers: \"ECDHE-RSA-AES128-GCM-SHA257\" names no cipher OpenSSL knows"},
    {"tls 1.3 suite in ciphers", "ciphers = \"TLS_AES_128_GCM_SHA256\"\n",
     "12:11: site.tls.ciphers: \"TLS_AES_128_GCM_SHA256\" is a TLS 1.3 suite; list it in "
     "ciphersuites instead"},
    {"nothing selected", "ciphers = \"!aNULL\"\n",
     "12:11: site.tls.ciphers: \"!aNULL\" selects no cipher OpenSSL would use"},
    {"empty ciphers", "ciphers = \"\"\n",
     "12:11: site.tls.ciphers: \"\" is empty; write e.g. \"ECDHE+AESGCM:ECDHE+CHACHA20\", or "
     "remove the key for the default"},
    {"too long ciphers", "ciphers = \"" + std::string(600, 'A') + "\"\n",
     "12:11: site.tls.ciphers: the list is longer than 511 characters"},
    {"unknown suite", "ciphersuites = \"TLS_AES_128_GCM_SHA256:TLS_FOO\"\n",
     "12:16: site.tls.ciphersuites: \"TLS_FOO\" is not a TLS 1.3 suite OpenSSL knows; write e.g. "
     "\"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\", or remove the key for the "
     "default"},
    {"tls 1.2 list in ciphersuites", "ciphersuites = \"ECDHE+AESGCM\"\n",
     "12:16: site.tls.ciphersuites: \"ECDHE+AESGCM\" is not a TLS 1.3 suite OpenSSL knows"},
    {"redirect not a boolean", "redirect_http = \"yes\"\n",
     "12:17: site.tls.redirect_http: expected true or false, found \"yes\""},
    {"hsts not a duration", "hsts = \"1 year\"\n",
     "12:8: site.tls.hsts: \"1 year\" is not a duration; write e.g. \"10s\", \"250ms\" or \"5m\""},
    {"hsts without unit", "hsts = 31536000\n", "12:8: site.tls.hsts: 31536000 has no unit"},
    {"hsts fractional seconds", "hsts = \"1500ms\"\n",
     "12:8: site.tls.hsts: \"1500ms\" is not a whole number of seconds, which max-age counts; "
     "write e.g. \"365d\""},
    {"hsts too long", "hsts = \"4000d\"\n",
     "12:8: site.tls.hsts: \"4000d\" is out of range; write a duration from \"0ms\" to \"3650d\""},
    {"subdomains without hsts", "hsts_include_subdomains = true\n",
     "12:27: site.tls.hsts_include_subdomains: true has no effect without HSTS; set "
     "site.tls.hsts as well, e.g. hsts = \"365d\""},
    {"relative ocsp", "ocsp_response = \"alpha.ocsp\"\n",
     "12:17: site.tls.ocsp_response: \"alpha.ocsp\" is not an absolute path; write the full path "
     "of a DER OCSP response, e.g. \"/etc/bulkhead/alpha.ocsp\""},
};

void PrintTo(const BadTls& c, std::ostream* out) {
    *out << c.name;
}

class BadTlsConfig : public ::testing::TestWithParam<BadTls> {};

TEST_P(BadTlsConfig, ReportsPreciseProblem) {
    const BadTls& c = GetParam();
    auto result = parse_config(with_tls(c.keys), kFile, fake_environment());
    ASSERT_FALSE(result.has_value()) << "accepted: " << c.keys;
    ASSERT_EQ(result.error().size(), 1u) << joined(result.error());
    EXPECT_TRUE(result.error()[0].to_string().starts_with(std::string(kFile) + ":" + c.expected))
        << "expected: " << kFile << ":" << c.expected << "\ngot:\n"
        << joined(result.error());
}

std::string case_name(const ::testing::TestParamInfo<BadTls>& info) {
    std::string name;
    for (char c : std::string(info.param.name)) {
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Table, BadTlsConfig, ::testing::ValuesIn(kBadTls), case_name);

// parse_config with the real inspection of real files (the users stay fake).
class TlsFilesAtLoad : public ::testing::Test {
  protected:
    TlsFilesAtLoad()
        : ca_key_(testing::make_key()),
          ca_(testing::make_cert(ca_key_, "test CA", {}, {-3600, 365L * 86400}, nullptr, ca_key_,
                                 true)),
          key_(testing::make_key()) {
        environment_ = fake_environment();
        environment_.inspect_tls_files = nullptr;
    }

    // Writes a leaf valid `validity` and its key; returns the configuration text naming them
    // (cert on line 10, column 8; key on line 11, column 7).
    std::string config_with_leaf(testing::Validity validity) {
        leaf_ = testing::make_cert(key_, "alpha.example", {"alpha.example"}, validity, ca_, ca_key_,
                                   false);
        cert_path_ = dir_.write("alpha.crt", testing::pem_of(leaf_) + testing::pem_of(ca_), 0644);
        key_path_ = dir_.write("alpha.key", testing::pem_of(key_), 0600);
        return kSite + "[site.tls]\ncert = \"" + cert_path_ + "\"\nkey = \"" + key_path_ + "\"\n";
    }

    Expected<Config, std::vector<Problem>> parse(const std::string& text) {
        return parse_config(text, kFile, environment_);
    }

    testing::ScratchDirectory dir_;
    testing::Pkey ca_key_;
    testing::Cert ca_;
    testing::Pkey key_;
    testing::Cert leaf_;
    std::string cert_path_;
    std::string key_path_;
    Environment environment_;
};

TEST_F(TlsFilesAtLoad, ValidFilesGiveTheirFacts) {
    auto config = parse(config_with_leaf({-3600, 90L * 86400}));
    ASSERT_TRUE(config.has_value()) << joined(config.error());
    EXPECT_TRUE(config->warnings.list.empty()) << joined(config->warnings.list);
    EXPECT_EQ(config->sites[0].tls->files.chain_length, 2u);
    EXPECT_EQ(format_date(config->sites[0].tls->files.not_after), testing::not_after_date(leaf_));
}

TEST_F(TlsFilesAtLoad, ExpiredIsAnErrorAtTheCertKey) {
    auto config = parse(config_with_leaf({-40L * 86400, -10L * 86400}));
    ASSERT_FALSE(config.has_value());
    ASSERT_EQ(config.error().size(), 1u) << joined(config.error());
    EXPECT_EQ(config.error()[0].to_string(), "test.toml:10:8: site alpha: certificate " +
                                                 cert_path_ + " expired on " +
                                                 testing::not_after_date(leaf_) + "; renew it");
}

TEST_F(TlsFilesAtLoad, ExpiringSoonLoadsWithAWarning) {
    auto config = parse(config_with_leaf({-3600, 5L * 86400}));
    ASSERT_TRUE(config.has_value()) << joined(config.error());
    ASSERT_EQ(config->warnings.list.size(), 1u);
    EXPECT_EQ(config->warnings.list[0].to_string(),
              "test.toml:10:8: warning: site alpha: certificate " + cert_path_ + " expires on " +
                  testing::not_after_date(leaf_) +
                  ", in 5 days; renew it (SIGHUP puts a renewed one in place)");
}

TEST_F(TlsFilesAtLoad, MismatchedKeyIsAnErrorAtTheKeyKey) {
    std::string text = config_with_leaf({-3600, 90L * 86400});
    dir_.write("alpha.key", testing::pem_of(testing::make_key()), 0600);
    auto config = parse(text);
    ASSERT_FALSE(config.has_value());
    ASSERT_EQ(config.error().size(), 1u) << joined(config.error());
    EXPECT_TRUE(
        config.error()[0].to_string().starts_with("test.toml:11:7: site alpha: key " + key_path_ +
                                                  " does not match certificate " + cert_path_))
        << joined(config.error());
}

TEST_F(TlsFilesAtLoad, WarningsComeWithErrors) {
    // A certificate about to expire and an unknown key elsewhere: both reported, in line order.
    std::string text = config_with_leaf({-3600, 5L * 86400}) + "frobnicate = 1\n";
    auto config = parse(text);
    ASSERT_FALSE(config.has_value());
    ASSERT_EQ(config.error().size(), 2u) << joined(config.error());
    EXPECT_TRUE(config.error()[0].warning);
    EXPECT_EQ(config.error()[0].line, 10u);
    EXPECT_FALSE(config.error()[1].warning);
    EXPECT_EQ(config.error()[1].line, 12u);
}

// What reload compares: the same files are the same site; a renewed certificate is a changed
// site even though the configuration text did not change.
TEST_F(TlsFilesAtLoad, RenewedCertificateChangesTheSite) {
    std::string text = config_with_leaf({-3600, 90L * 86400});
    auto before = parse(text);
    auto again = parse(text);
    ASSERT_TRUE(before && again);
    EXPECT_TRUE(*before == *again);
    auto renewed_leaf = testing::make_cert(key_, "alpha.example", {"alpha.example"},
                                           {-3600, 120L * 86400}, ca_, ca_key_, false);
    dir_.write("alpha.crt", testing::pem_of(renewed_leaf) + testing::pem_of(ca_), 0644);
    auto after = parse(text);
    ASSERT_TRUE(after.has_value()) << joined(after.error());
    EXPECT_FALSE(before->sites[0] == after->sites[0]);
}

TEST_F(TlsFilesAtLoad, MissingFilesAreNamed) {
    std::string text = kSite + "[site.tls]\ncert = \"" + dir_.path() + "/none.crt\"\nkey = \"" +
                       dir_.path() + "/none.key\"\nocsp_response = \"" + dir_.path() +
                       "/none.ocsp\"\n";
    auto config = parse(text);
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(joined(config.error()),
              "test.toml:10:8: site alpha: cannot read certificate " + dir_.path() +
                  "/none.crt: No such file or directory\n"
                  "test.toml:11:7: site alpha: cannot read key " +
                  dir_.path() +
                  "/none.key: No such file or directory\n"
                  "test.toml:12:17: site alpha: cannot read OCSP response " +
                  dir_.path() + "/none.ocsp: No such file or directory\n");
}

}  // namespace
}  // namespace bulkhead::config
