#pragma once
// Session-ticket keys (RFC 5077): per TLS site, made by the master from the kernel's random
// source and kept in its memory only, the newest kKept per site. A worker gets its own site's
// keys at intake and every new one at rotation, so any worker of the site can resume a session
// that another one started, and no site can decrypt another's tickets.

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "config/model.hpp"
#include "ipc/master_worker.hpp"

namespace bulkhead::master {

class TicketKeys {
  public:
    static constexpr Millis kRotationMs = 12LL * 3600 * 1000;
    // Tickets stay resumable for up to (kKept - 1) rotations after the key that made them.
    static constexpr std::size_t kKept = ipc::kKeptTicketKeys;

    TicketKeys() = default;
    TicketKeys(const TicketKeys&) = delete;
    TicketKeys& operator=(const TicketKeys&) = delete;
    ~TicketKeys();  // wipes every key

    // After a (re)load: every TLS site gets one fresh key, except sites whose [site.tls] is
    // what it was, which keep theirs; the keys of sites that went away, or lost TLS, are wiped.
    void update(const std::vector<config::SiteConfig>& sites, Millis now);
    // The site's keys, oldest first (empty for a site without TLS).
    const std::deque<ipc::WorkerTicketKey>& keys_of(const std::string& site) const;
    // Gives each site whose newest key is kRotationMs old a new one (dropping its oldest beyond
    // kKept) and returns the names of those sites.
    std::vector<std::string> rotate_due(Millis now);

  private:
    struct SiteKeys {
        config::TlsConfig tls;                  // as the keys were made for
        std::deque<ipc::WorkerTicketKey> keys;  // oldest first
        Millis newest_made = 0;
    };

    static void add_key(SiteKeys& site, Millis now);
    static void wipe(SiteKeys& site);

    std::map<std::string, SiteKeys> sites_;
};

}  // namespace bulkhead::master
