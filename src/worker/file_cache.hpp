#pragma once
// The worker's cache of the static files it opened, by request path. Opening a file beneath
// the document root costs openat2, fstat and close on every request, half of a keep-alive
// request's system calls; a hit costs one fstat.
//
// Freshness, what a site owner sees after changing a file:
//   - every hit fstat()s the kept descriptor; a file written in place, truncated, chmod'ed,
//     chown'ed, removed or replaced by a rename (its link count drops to 0) is opened afresh
//     on that very request;
//   - a path is resolved again at most kRecheckMs after it last was, so a change of what the
//     path names while the old file lives on (a renamed directory, a switched "current"
//     symlink of a release-directory deploy, a new hard link) is seen within a second.
// Entries older than that are dropped by the ticker, so an idle worker holds no descriptor of
// a file deleted since, and a request that misses is served exactly as without the cache.

#include <cstddef>
#include <string>
#include <unordered_map>

#include "worker/reactor.hpp"
#include "worker/served_file.hpp"

namespace bulkhead::worker {

class FileCache final : public Ticker {
  public:
    static constexpr Millis kRecheckMs = 1000;
    static constexpr std::size_t kMaxEntries = 1024;
    static constexpr std::size_t kMaxContentBytes = 8 * 1024 * 1024;

    // The file last opened for `key`, if it was resolved less than kRecheckMs before `now` and
    // its descriptor shows it unchanged; otherwise nothing, and the entry is gone.
    SharedFile find(const std::string& key, Millis now);

    // Keeps `file` for `key`, resolved at `now`. When the cache is full, expired entries go
    // first, then all of them: a burst of distinct paths costs a refill, never unbounded memory.
    void insert(const std::string& key, SharedFile file, Millis now);

    std::size_t size() const { return entries_.size(); }

    // Ticker: drops expired entries, waking only while there are any.
    Millis next_tick() const override;
    void on_tick(Millis now) override;

  private:
    struct Entry {
        SharedFile file;
        Millis resolved_at = 0;
    };
    void erase(std::unordered_map<std::string, Entry>::iterator at);
    void drop_expired(Millis now);
    static std::size_t content_bytes_of(const Entry& entry);

    std::unordered_map<std::string, Entry> entries_;
    std::size_t content_bytes_ = 0;
    Millis oldest_resolved_at_ = kNever;  // a lower bound: the ticker's next wake-up
};

}  // namespace bulkhead::worker
