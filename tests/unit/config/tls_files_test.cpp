// inspect_tls_files against real files made in the test: a valid chain, and one case per way a
// certificate, key or OCSP response can be wrong, each with the exact message it must produce.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/tls_files.hpp"
#include "test_certificates.hpp"

namespace bulkhead::config {
namespace {

using namespace testing;

constexpr SourcePosition kCertAt{20, 8};
constexpr SourcePosition kKeyAt{21, 8};
constexpr SourcePosition kOcspAt{22, 17};

class TlsFiles : public ::testing::Test {
  protected:
    TlsFiles()
        : ca_key_(make_key()),
          ca_(make_cert(ca_key_, "bulkhead test CA", {}, {-3600, 365L * 86400}, nullptr, ca_key_,
                        true)),
          leaf_key_(make_key()) {}

    // A leaf for alpha's names with `validity`, signed by the CA.
    Cert leaf(Validity validity = {},
              std::vector<std::string> names = {"alpha.example", "*.alpha.example"}) {
        return make_cert(leaf_key_, "alpha.example", names, validity, ca_, ca_key_, false);
    }

    // cert.pem holds `chain`; key.pem the leaf's key (0600) unless `key_pem` says otherwise.
    TlsConfig files(const std::string& chain, const std::string& key_pem = "") {
        TlsConfig tls;
        tls.cert = dir_.write("cert.pem", chain, 0644);
        tls.key = dir_.write("key.pem", key_pem.empty() ? pem_of(leaf_key_) : key_pem);
        tls.cert_position = kCertAt;
        tls.key_position = kKeyAt;
        tls.ocsp_position = kOcspAt;
        return tls;
    }

    TlsInspection inspect(const TlsConfig& tls,
                          std::vector<std::string> hosts = {"alpha.example", "*.alpha.example"}) {
        return inspect_tls_files("alpha", tls, hosts, std::time(nullptr));
    }

    // The one finding there must be.
    static TlsFinding only(const TlsInspection& inspection) {
        EXPECT_EQ(inspection.findings.size(), 1u) << describe(inspection);
        return inspection.findings.empty() ? TlsFinding{} : inspection.findings.front();
    }

    static std::string describe(const TlsInspection& inspection) {
        std::string out;
        for (const TlsFinding& f : inspection.findings) {
            out += std::string(f.warning ? "warning " : "error ") + std::to_string(f.where.line) +
                   ": " + f.message + "\n";
        }
        return out.empty() ? "(no findings)" : out;
    }

    ScratchDirectory dir_;
    Pkey ca_key_;
    Cert ca_;
    Pkey leaf_key_;
};

TEST_F(TlsFiles, ValidChainHasNoFindingsAndItsFacts) {
    Cert cert = leaf({-3600, 30L * 86400});
    TlsInspection inspection = inspect(files(pem_of(cert) + pem_of(ca_)));
    EXPECT_TRUE(inspection.findings.empty()) << describe(inspection);
    EXPECT_EQ(inspection.facts.chain_length, 2u);
    EXPECT_EQ(format_date(inspection.facts.not_after), not_after_date(cert));
    EXPECT_GT(inspection.facts.not_after, inspection.facts.not_before);
}

TEST_F(TlsFiles, LeafAloneIsAChainOfOne) {
    TlsInspection inspection = inspect(files(pem_of(leaf())));
    EXPECT_TRUE(inspection.findings.empty()) << describe(inspection);
    EXPECT_EQ(inspection.facts.chain_length, 1u);
}

TEST_F(TlsFiles, KeyOfAnotherCertificateIsAnErrorAtTheKey) {
    TlsConfig tls = files(pem_of(leaf()) + pem_of(ca_), pem_of(make_key()));
    TlsFinding finding = only(inspect(tls));
    EXPECT_FALSE(finding.warning);
    EXPECT_EQ(finding.where.line, kKeyAt.line);
    EXPECT_EQ(finding.message, "site alpha: key " + tls.key + " does not match certificate " +
                                   tls.cert +
                                   "; give the key of the certificate's leaf, or the certificate "
                                   "of this key");
}

TEST_F(TlsFiles, ChainWithTheLeafLastSaysSo) {
    // The CA first: its key is the CA's, the leaf (second) is what the key belongs to.
    TlsConfig tls = files(pem_of(ca_) + pem_of(leaf()));
    TlsInspection inspection = inspect(tls);
    bool said = false;
    for (const TlsFinding& f : inspection.findings) {
        said = said || f.message == "site alpha: key " + tls.key + " does not match certificate " +
                                        tls.cert +
                                        "; it matches certificate 2 in the file: put the leaf "
                                        "certificate first";
    }
    EXPECT_TRUE(said) << describe(inspection);
}

// Root opens the key for the site's workers: a site that could swap it (here through its own
// directory) could have root open another site's key for it.
TEST_F(TlsFiles, KeyWhereASiteCouldSwapItIsAnError) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root: makes a directory owned by another uid";
    TlsConfig tls = files(pem_of(leaf()));
    std::string site_dir = dir_.path() + "/alpha";
    ASSERT_EQ(mkdir(site_dir.c_str(), 0755), 0);
    ASSERT_EQ(chown(site_dir.c_str(), 40101, 40101), 0);
    std::string link = site_dir + "/alpha.key";
    ASSERT_EQ(symlink(tls.key.c_str(), link.c_str()), 0);
    tls.key = link;
    TlsFinding finding = only(inspect(tls));
    EXPECT_FALSE(finding.warning);
    EXPECT_EQ(finding.where.line, kKeyAt.line);
    EXPECT_EQ(finding.message, "site alpha: key " + link + ": " + site_dir +
                                   " is owned by uid 40101, so another user could swap in "
                                   "another site's file; keep TLS files where only root can "
                                   "change them");
}

TEST_F(TlsFiles, ExpiredIsAnErrorWithTheDate) {
    Cert cert = leaf({-40L * 86400, -10L * 86400});
    TlsConfig tls = files(pem_of(cert));
    TlsFinding finding = only(inspect(tls));
    EXPECT_FALSE(finding.warning);
    EXPECT_EQ(finding.where.line, kCertAt.line);
    EXPECT_EQ(finding.where.column, kCertAt.column);
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert + " expired on " +
                                   not_after_date(cert) + "; renew it");
}

TEST_F(TlsFiles, ExpiringWithinFourteenDaysIsAWarning) {
    Cert cert = leaf({-3600, 5L * 86400});
    TlsConfig tls = files(pem_of(cert));
    TlsFinding finding = only(inspect(tls));
    EXPECT_TRUE(finding.warning);
    EXPECT_EQ(finding.where.line, kCertAt.line);
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert + " expires on " +
                                   not_after_date(cert) +
                                   ", in 5 days; renew it (SIGHUP puts a renewed one in place)");
}

TEST_F(TlsFiles, FifteenDaysLeftIsFine) {
    TlsInspection inspection = inspect(files(pem_of(leaf({-3600, 15L * 86400}))));
    EXPECT_TRUE(inspection.findings.empty()) << describe(inspection);
}

TEST_F(TlsFiles, NotYetValidIsAnError) {
    Cert cert = leaf({2L * 86400, 60L * 86400});
    TlsConfig tls = files(pem_of(cert));
    TlsFinding finding = only(inspect(tls));
    EXPECT_FALSE(finding.warning);
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert + " is not valid before " +
                                   not_before_date(cert) + "; check the host's clock");
}

TEST_F(TlsFiles, GarbageIsNoCertificate) {
    TlsConfig tls = files("this is not a certificate\n");
    TlsFinding finding = only(inspect(tls));
    EXPECT_FALSE(finding.warning);
    EXPECT_EQ(finding.where.line, kCertAt.line);
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert +
                                   " holds no PEM certificate; give the chain in PEM (-----BEGIN "
                                   "CERTIFICATE-----), leaf first");
}

TEST_F(TlsFiles, DamagedSecondCertificateIsNamed) {
    std::string ca_pem = pem_of(ca_);
    ca_pem[ca_pem.size() / 2] = '*';  // not base64
    TlsConfig tls = files(pem_of(leaf()) + ca_pem);
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert +
                                   ": certificate 2 in the file is malformed; give a PEM chain, "
                                   "leaf first");
}

TEST_F(TlsFiles, TruncatedCertificateIsMalformed) {
    std::string pem = pem_of(leaf());
    TlsConfig tls = files(pem.substr(0, pem.size() / 2));
    TlsFinding finding = only(inspect(tls));
    EXPECT_FALSE(finding.warning);
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert +
                                   ": certificate 1 in the file is malformed; give a PEM chain, "
                                   "leaf first");
}

TEST_F(TlsFiles, MissingCertificateFile) {
    TlsConfig tls = files(pem_of(leaf()));
    tls.cert = dir_.path() + "/absent.pem";
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.where.line, kCertAt.line);
    EXPECT_EQ(finding.message,
              "site alpha: cannot read certificate " + tls.cert + ": No such file or directory");
}

TEST_F(TlsFiles, DirectoryIsNotAFile) {
    TlsConfig tls = files(pem_of(leaf()));
    tls.key = dir_.path();
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.where.line, kKeyAt.line);
    EXPECT_EQ(finding.message, "site alpha: cannot read key " + tls.key + ": not a regular file");
}

TEST_F(TlsFiles, MissingKeyFile) {
    TlsConfig tls = files(pem_of(leaf()));
    tls.key = dir_.path() + "/absent.key";
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.where.line, kKeyAt.line);
    EXPECT_EQ(finding.message,
              "site alpha: cannot read key " + tls.key + ": No such file or directory");
}

TEST_F(TlsFiles, GarbageKey) {
    TlsConfig tls = files(pem_of(leaf()), "-----BEGIN PRIVATE KEY-----\nAAAA\n");
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.where.line, kKeyAt.line);
    EXPECT_EQ(finding.message, "site alpha: key " + tls.key +
                                   " holds no PEM private key; give it in PEM (-----BEGIN "
                                   "PRIVATE KEY-----)");
}

TEST_F(TlsFiles, EncryptedKeyCannotBeUsed) {
    TlsConfig tls = files(pem_of(leaf()), pem_of(leaf_key_, "secret passphrase"));
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.message, "site alpha: key " + tls.key +
                                   " is encrypted with a passphrase, which nobody can type at "
                                   "start; store it unencrypted, readable by root only (openssl "
                                   "pkey -in KEY -out PLAIN)");
}

TEST_F(TlsFiles, WorldReadableKeyIsAWarning) {
    TlsConfig tls = files(pem_of(leaf()));
    chmod(tls.key.c_str(), 0644);
    TlsFinding finding = only(inspect(tls));
    EXPECT_TRUE(finding.warning);
    EXPECT_EQ(finding.message, "site alpha: key " + tls.key +
                                   " is readable by every user; make it readable by root only "
                                   "(chmod 600, owner root)");
}

TEST_F(TlsFiles, NoHostCoveredIsAWarning) {
    TlsConfig tls = files(pem_of(leaf({}, {"other.example"})));
    TlsFinding finding = only(inspect(tls, {"alpha.example", "*.alpha.example"}));
    EXPECT_TRUE(finding.warning);
    EXPECT_EQ(finding.where.line, kCertAt.line);
    EXPECT_EQ(finding.message, "site alpha: certificate " + tls.cert +
                                   " covers none of the site's hosts (alpha.example, "
                                   "*.alpha.example); clients will refuse it");
}

TEST_F(TlsFiles, OneCoveredHostIsEnough) {
    TlsConfig tls = files(pem_of(leaf({}, {"www.alpha.example"})));
    // The wildcard host is covered by a name beneath its base; the other is not covered.
    TlsInspection inspection = inspect(tls, {"beta.example", "*.alpha.example"});
    EXPECT_TRUE(inspection.findings.empty()) << describe(inspection);
    inspection = inspect(tls, {"beta.example", "alpha.example"});
    EXPECT_EQ(inspection.findings.size(), 1u) << describe(inspection);
}

TEST_F(TlsFiles, ValidOcspResponse) {
    Cert cert = leaf();
    TlsConfig tls = files(pem_of(cert) + pem_of(ca_));
    tls.ocsp_response = dir_.write("alpha.ocsp", ocsp_response_der(cert, ca_, ca_key_), 0644);
    TlsInspection inspection = inspect(tls);
    EXPECT_TRUE(inspection.findings.empty()) << describe(inspection);
}

TEST_F(TlsFiles, OcspResponseThatIsNotOne) {
    TlsConfig tls = files(pem_of(leaf()));
    tls.ocsp_response = dir_.write("alpha.ocsp", pem_of(ca_), 0644);
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.where.line, kOcspAt.line);
    EXPECT_EQ(finding.message, "site alpha: OCSP response " + tls.ocsp_response +
                                   " is not a DER-encoded OCSP response; fetch one with openssl "
                                   "ocsp ... -respout FILE");
}

TEST_F(TlsFiles, UnsuccessfulOcspResponse) {
    Cert cert = leaf();
    TlsConfig tls = files(pem_of(cert));
    tls.ocsp_response = dir_.write(
        "alpha.ocsp", ocsp_response_der(cert, ca_, ca_key_, OCSP_RESPONSE_STATUS_TRYLATER), 0644);
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.message, "site alpha: OCSP response " + tls.ocsp_response +
                                   " says \"trylater\", not \"successful\"; staple a successful "
                                   "response");
}

TEST_F(TlsFiles, MissingOcspResponse) {
    TlsConfig tls = files(pem_of(leaf()));
    tls.ocsp_response = dir_.path() + "/absent.ocsp";
    TlsFinding finding = only(inspect(tls));
    EXPECT_EQ(finding.where.line, kOcspAt.line);
    EXPECT_EQ(finding.message, "site alpha: cannot read OCSP response " + tls.ocsp_response +
                                   ": No such file or directory");
}

TEST_F(TlsFiles, EveryProblemAtOnce) {
    TlsConfig tls = files(pem_of(leaf({-40L * 86400, -10L * 86400})), "garbage");
    tls.ocsp_response = dir_.path() + "/absent.ocsp";
    TlsInspection inspection = inspect(tls);
    ASSERT_EQ(inspection.findings.size(), 3u) << describe(inspection);
    EXPECT_EQ(inspection.findings[0].where.line, kCertAt.line);
    EXPECT_EQ(inspection.findings[1].where.line, kKeyAt.line);
    EXPECT_EQ(inspection.findings[2].where.line, kOcspAt.line);
}

// The digest is what reload compares: the same contents digest alike, a renewed certificate
// (or a new key, or a new OCSP response) differently.
TEST_F(TlsFiles, DigestFollowsTheContents) {
    TlsConfig tls = files(pem_of(leaf()));
    auto first = inspect(tls).facts.contents_sha256;
    EXPECT_EQ(inspect(tls).facts.contents_sha256, first);
    dir_.write("cert.pem", pem_of(leaf()), 0644);  // renewed: another serial and validity
    auto renewed = inspect(tls).facts.contents_sha256;
    EXPECT_NE(renewed, first);
    tls.ocsp_response = dir_.write("alpha.ocsp", "x", 0644);
    EXPECT_NE(inspect(tls).facts.contents_sha256, renewed);
}

TEST(FormatDate, IsUtcDay) {
    EXPECT_EQ(format_date(0), "1970-01-01");
    EXPECT_EQ(format_date(1'580'515'200), "2020-02-01");
    EXPECT_EQ(format_date(1'580'601'599), "2020-02-01");
}

}  // namespace
}  // namespace bulkhead::config
