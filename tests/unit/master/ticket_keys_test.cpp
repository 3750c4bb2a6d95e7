// TicketKeys: one fresh key per TLS site, kept across a reload that leaves the site's TLS as it
// was, fresh after a change, rotated every 12 hours keeping the newest three, oldest first.

#include "master/ticket_keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace bulkhead::master {
namespace {

config::SiteConfig tls_site(const std::string& name, const std::string& cert = "/c") {
    config::SiteConfig site;
    site.name = name;
    site.tls = config::TlsConfig{};
    site.tls->cert = cert;
    site.tls->key = "/k";
    return site;
}

bool same_key(const ipc::WorkerTicketKey& a, const ipc::WorkerTicketKey& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

constexpr Millis kStart = 1'000'000;

TEST(TicketKeys, OneFreshKeyPerTlsSiteNoneForOthers) {
    TicketKeys keys;
    config::SiteConfig plain;
    plain.name = "plain";
    keys.update({tls_site("alpha"), tls_site("beta"), plain}, kStart);
    ASSERT_EQ(keys.keys_of("alpha").size(), 1u);
    ASSERT_EQ(keys.keys_of("beta").size(), 1u);
    EXPECT_TRUE(keys.keys_of("plain").empty());
    EXPECT_TRUE(keys.keys_of("absent").empty());
    EXPECT_FALSE(same_key(keys.keys_of("alpha")[0], keys.keys_of("beta")[0]));
    const auto& key = keys.keys_of("alpha")[0];
    EXPECT_TRUE(std::any_of(std::begin(key.aes_key), std::end(key.aes_key),
                            [](std::uint8_t b) { return b != 0; }));
}

TEST(TicketKeys, RotatesEvery12HoursKeepingTheNewestThreeOldestFirst) {
    TicketKeys keys;
    keys.update({tls_site("alpha")}, kStart);
    ipc::WorkerTicketKey first = keys.keys_of("alpha")[0];
    EXPECT_TRUE(keys.rotate_due(kStart + TicketKeys::kRotationMs - 1).empty());
    EXPECT_EQ(keys.rotate_due(kStart + TicketKeys::kRotationMs), std::vector<std::string>{"alpha"});
    ASSERT_EQ(keys.keys_of("alpha").size(), 2u);
    EXPECT_TRUE(same_key(keys.keys_of("alpha")[0], first));  // oldest first
    EXPECT_TRUE(keys.rotate_due(kStart + TicketKeys::kRotationMs + 1).empty());
    keys.rotate_due(kStart + 2 * TicketKeys::kRotationMs);
    keys.rotate_due(kStart + 3 * TicketKeys::kRotationMs);
    ASSERT_EQ(keys.keys_of("alpha").size(), TicketKeys::kKept);
    EXPECT_FALSE(same_key(keys.keys_of("alpha")[0], first));  // the first one is gone
}

TEST(TicketKeys, ReloadKeepsKeysOfUnchangedSitesOnly) {
    TicketKeys keys;
    keys.update({tls_site("alpha"), tls_site("beta"), tls_site("gone")}, kStart);
    ipc::WorkerTicketKey alpha = keys.keys_of("alpha")[0];
    ipc::WorkerTicketKey beta = keys.keys_of("beta")[0];
    keys.update({tls_site("alpha"), tls_site("beta", "/renewed")}, kStart + 5);
    ASSERT_EQ(keys.keys_of("alpha").size(), 1u);
    EXPECT_TRUE(same_key(keys.keys_of("alpha")[0], alpha));
    ASSERT_EQ(keys.keys_of("beta").size(), 1u);
    EXPECT_FALSE(same_key(keys.keys_of("beta")[0], beta));
    EXPECT_TRUE(keys.keys_of("gone").empty());
    // alpha's rotation clock was kept; beta's started again at the reload.
    EXPECT_EQ(keys.rotate_due(kStart + TicketKeys::kRotationMs), std::vector<std::string>{"alpha"});
}

}  // namespace
}  // namespace bulkhead::master
