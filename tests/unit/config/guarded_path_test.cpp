// unguarded_component: a TLS file root opens for a site must sit where only root can change
// it. Real directories, symlinks and owners in a scratch directory under /tmp (sticky, so
// itself accepted).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/guarded_path.hpp"
#include "test_certificates.hpp"

namespace bulkhead::config {
namespace {

constexpr uid_t kSiteUid = 40101;

class GuardedPath : public ::testing::Test {
  protected:
    GuardedPath() { chmod(dir_.path().c_str(), 0755); }
    testing::ScratchDirectory dir_;
};

TEST_F(GuardedPath, RootOwnedPathIsGuarded) {
    std::string key = dir_.write("key.pem", "x");
    EXPECT_EQ(unguarded_component(key, geteuid()), std::nullopt);
}

TEST_F(GuardedPath, WorldWritableDirectoryIsNot) {
    std::string open_dir = dir_.path() + "/open";
    ASSERT_EQ(mkdir(open_dir.c_str(), 0755), 0);
    chmod(open_dir.c_str(), 0777);
    std::string key = dir_.write("open/key.pem", "x");
    EXPECT_EQ(unguarded_component(key, geteuid()), open_dir + " is writable by every user");
}

TEST_F(GuardedPath, StickyWorldWritableDirectoryIs) {
    std::string shared = dir_.path() + "/shared";
    ASSERT_EQ(mkdir(shared.c_str(), 0755), 0);
    chmod(shared.c_str(), 01777);
    EXPECT_EQ(unguarded_component(dir_.write("shared/key.pem", "x"), geteuid()), std::nullopt);
}

TEST_F(GuardedPath, RelativePathIsRefused) {
    EXPECT_EQ(unguarded_component("key.pem", geteuid()), "key.pem is not an absolute path");
}

// A site's own directory holding a symlink to another site's key: both the directory and the
// symlink are the site's to change.
TEST_F(GuardedPath, SiteOwnedDirectoryOrSymlinkIsNot) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root: makes files owned by another uid";
    std::string beta_key = dir_.write("beta.key", "beta's key");
    std::string site_dir = dir_.path() + "/alpha";
    ASSERT_EQ(mkdir(site_dir.c_str(), 0755), 0);
    ASSERT_EQ(chown(site_dir.c_str(), kSiteUid, kSiteUid), 0);
    std::string link = site_dir + "/alpha.key";
    ASSERT_EQ(symlink(beta_key.c_str(), link.c_str()), 0);
    EXPECT_EQ(unguarded_component(link, 0), site_dir + " is owned by uid 40101");

    // The same symlink, owned by the site, in a root-owned directory.
    std::string root_link = dir_.path() + "/swapped.key";
    ASSERT_EQ(symlink(beta_key.c_str(), root_link.c_str()), 0);
    ASSERT_EQ(lchown(root_link.c_str(), kSiteUid, kSiteUid), 0);
    EXPECT_EQ(unguarded_component(root_link, 0), root_link + " is owned by uid 40101");

    // A root-owned symlink into a site-owned directory: the target is judged too.
    std::string target = dir_.write("alpha/real.key", "x");
    std::string into_site = dir_.path() + "/into-site.key";
    ASSERT_EQ(symlink(target.c_str(), into_site.c_str()), 0);
    EXPECT_EQ(unguarded_component(into_site, 0), site_dir + " is owned by uid 40101");
}

}  // namespace
}  // namespace bulkhead::config
