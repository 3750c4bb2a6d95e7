#pragma once
// A token bucket: `burst` tokens at first, `rate_per_s` more each second up to `burst`. A
// session spends one for each frame that makes it work without asking for anything (see
// Limits::idle_frame_burst); an empty bucket means the client is flooding us.

#include <algorithm>
#include <cstdint>

#include "base/clock.hpp"

namespace bulkhead::worker::http2 {

class TokenBucket {
  public:
    TokenBucket(std::uint32_t burst, std::uint32_t rate_per_s, Millis now)
        : burst_(burst), rate_per_s_(rate_per_s), tokens_(burst), refilled_(now) {}

    // Takes a token; false when none is left.
    bool take(Millis now) {
        if (now > refilled_) {
            std::uint64_t earned = static_cast<std::uint64_t>(now - refilled_) * rate_per_s_ / 1000;
            if (earned > 0) {
                tokens_ =
                    static_cast<std::uint32_t>(std::min<std::uint64_t>(burst_, tokens_ + earned));
                refilled_ = now;
            }
        }
        if (tokens_ == 0)
            return false;
        --tokens_;
        return true;
    }

  private:
    std::uint32_t burst_;
    std::uint32_t rate_per_s_;
    std::uint32_t tokens_;
    Millis refilled_;
};

}  // namespace bulkhead::worker::http2
