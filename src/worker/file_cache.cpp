#include "worker/file_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

namespace bulkhead::worker {

SharedFile FileCache::find(const std::string& key, Millis now) {
    auto at = entries_.find(key);
    if (at == entries_.end())
        return nullptr;
    const ServedFile& file = *at->second.file;
    struct stat current {};
    bool fresh = now - at->second.resolved_at < kRecheckMs && fstat(file.fd.get(), &current) == 0 &&
                 unchanged_since_open(file.info, current);
    if (!fresh) {
        erase(at);
        return nullptr;
    }
    return at->second.file;
}

void FileCache::insert(const std::string& key, SharedFile file, Millis now) {
    std::size_t added = file->content ? file->content->size() : 0;
    if (added > kMaxContentBytes)
        return;
    if (auto at = entries_.find(key); at != entries_.end())
        erase(at);
    if (entries_.size() >= kMaxEntries || content_bytes_ + added > kMaxContentBytes)
        drop_expired(now);
    if (entries_.size() >= kMaxEntries || content_bytes_ + added > kMaxContentBytes) {
        entries_.clear();
        content_bytes_ = 0;
    }
    content_bytes_ += added;
    entries_.emplace(key, Entry{std::move(file), now});
    oldest_resolved_at_ = std::min(oldest_resolved_at_, now);
}

Millis FileCache::next_tick() const {
    return entries_.empty() ? kNever : oldest_resolved_at_ + kRecheckMs;
}

void FileCache::on_tick(Millis now) {
    drop_expired(now);
}

void FileCache::erase(std::unordered_map<std::string, Entry>::iterator at) {
    content_bytes_ -= content_bytes_of(at->second);
    entries_.erase(at);
}

void FileCache::drop_expired(Millis now) {
    oldest_resolved_at_ = kNever;
    for (auto at = entries_.begin(); at != entries_.end();) {
        if (now - at->second.resolved_at >= kRecheckMs) {
            content_bytes_ -= content_bytes_of(at->second);
            at = entries_.erase(at);
        } else {
            oldest_resolved_at_ = std::min(oldest_resolved_at_, at->second.resolved_at);
            ++at;
        }
    }
}

std::size_t FileCache::content_bytes_of(const Entry& entry) {
    return entry.file->content ? entry.file->content->size() : 0;
}

}  // namespace bulkhead::worker
