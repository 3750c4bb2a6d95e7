#pragma once
// nghttp2's callbacks for an Http2Session: they only collect (headers, body bytes, stream
// ends, closes) and count frames that do no work; the session acts on what they noted once
// nghttp2 has returned, so no handler ever runs inside the library.

#include <nghttp2/nghttp2.h>

namespace bulkhead::worker::http2 {

// A new callback table (nghttp2_session_callbacks_del frees it), or null without memory.
nghttp2_session_callbacks* make_callbacks();

}  // namespace bulkhead::worker::http2
