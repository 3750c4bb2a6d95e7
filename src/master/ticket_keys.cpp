// Session-ticket keys: made with getrandom, rotated every 12 hours, wiped when dropped.

#include "master/ticket_keys.hpp"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <stdexcept>

#include "base/log.hpp"

namespace bulkhead::master {
namespace {

// Blocks only before the kernel's pool is first seeded, early in boot.
void fill_random(std::uint8_t* out, std::size_t length) {
    std::size_t have = 0;
    while (have < length) {
        ssize_t got = getrandom(out + have, length - have, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            throw std::runtime_error("cannot make a session-ticket key: getrandom: " +
                                     log::errno_text(errno));
        }
        have += static_cast<std::size_t>(got);
    }
}

}  // namespace

TicketKeys::~TicketKeys() {
    for (auto& [name, site] : sites_)
        wipe(site);
}

void TicketKeys::add_key(SiteKeys& site, Millis now) {
    ipc::WorkerTicketKey key;
    fill_random(key.name, sizeof key.name);
    fill_random(key.aes_key, sizeof key.aes_key);
    fill_random(key.hmac_key, sizeof key.hmac_key);
    site.keys.push_back(key);
    explicit_bzero(&key, sizeof key);
    while (site.keys.size() > kKept) {
        explicit_bzero(&site.keys.front(), sizeof site.keys.front());
        site.keys.pop_front();
    }
    site.newest_made = now;
}

void TicketKeys::wipe(SiteKeys& site) {
    for (ipc::WorkerTicketKey& key : site.keys)
        explicit_bzero(&key, sizeof key);
    site.keys.clear();
}

void TicketKeys::update(const std::vector<config::SiteConfig>& sites, Millis now) {
    std::map<std::string, SiteKeys> next;
    for (const config::SiteConfig& site : sites) {
        if (!site.tls)
            continue;
        auto previous = sites_.find(site.name);
        if (previous != sites_.end() && previous->second.tls == *site.tls) {
            next.emplace(site.name, std::move(previous->second));
            sites_.erase(previous);
            continue;
        }
        // A new certificate or key, or new TLS settings: tickets made before must not resume.
        SiteKeys fresh;
        fresh.tls = *site.tls;
        add_key(fresh, now);
        next.emplace(site.name, std::move(fresh));
    }
    for (auto& [name, site] : sites_)
        wipe(site);
    sites_ = std::move(next);
}

const std::deque<ipc::WorkerTicketKey>& TicketKeys::keys_of(const std::string& site) const {
    static const std::deque<ipc::WorkerTicketKey> none;
    auto found = sites_.find(site);
    return found == sites_.end() ? none : found->second.keys;
}

std::vector<std::string> TicketKeys::rotate_due(Millis now) {
    std::vector<std::string> rotated;
    for (auto& [name, site] : sites_) {
        if (now - site.newest_made < kRotationMs)
            continue;
        add_key(site, now);
        rotated.push_back(name);
    }
    return rotated;
}

}  // namespace bulkhead::master
