#include "worker/http2_callbacks.hpp"

#include <span>

#include "base/log.hpp"
#include "worker/http2_session.hpp"

namespace bulkhead::worker {

// The callbacks reach the session's private parts through this one door.
struct CallbackAccess {
    static Http2Session& session(void* user_data) { return *static_cast<Http2Session*>(user_data); }

    static bool is_request(const nghttp2_frame* frame) {
        return frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST;
    }

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        if (!is_request(frame))
            return 0;  // trailers: their fields are not kept
        return session(user_data).begin_stream(frame->hd.stream_id);
    }

    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                         std::size_t name_length, const std::uint8_t* value,
                         std::size_t value_length, std::uint8_t, void* user_data) {
        if (!is_request(frame))
            return 0;
        if (http2::Stream* stream = session(user_data).stream(frame->hd.stream_id)) {
            stream->add_header({reinterpret_cast<const char*>(name), name_length},
                               {reinterpret_cast<const char*>(value), value_length});
        }
        return 0;
    }

    // Frames that make us work without asking for anything spend the session's tokens.
    static bool does_no_work(const nghttp2_frame* frame) {
        switch (frame->hd.type) {
            case NGHTTP2_SETTINGS:
            case NGHTTP2_PING:
                return (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0;
            case NGHTTP2_PRIORITY:
            case NGHTTP2_PRIORITY_UPDATE:
            case NGHTTP2_RST_STREAM:
                return true;
            case NGHTTP2_DATA:
                return frame->hd.length == 0 && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0;
            default:
                return false;
        }
    }

    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        Http2Session& self = session(user_data);
        if (does_no_work(frame) && !self.spend_idle_token()) {
            self.calm_down_ = true;
            return NGHTTP2_ERR_CALLBACK_FAILURE;  // stop reading this client's frames at once
        }
        http2::Stream* stream = self.stream(frame->hd.stream_id);
        if (!stream)
            return 0;
        if (is_request(frame))
            stream->headers_complete();
        if (frame->hd.type == NGHTTP2_RST_STREAM)
            stream->reset_by_client();  // counted above, not again when it closes
        bool ends = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                    (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        if (ends)
            stream->body_end();
        self.shared_.progress = true;
        return 0;
    }

    static int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame*, int, void* user_data) {
        Http2Session& self = session(user_data);
        if (!self.spend_idle_token()) {
            self.calm_down_ = true;
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        return 0;
    }

    static int on_data_chunk_recv(nghttp2_session* library, std::uint8_t, std::int32_t stream_id,
                                  const std::uint8_t* data, std::size_t length, void* user_data) {
        if (http2::Stream* stream = session(user_data).stream(stream_id)) {
            stream->body_chunk({reinterpret_cast<const std::byte*>(data), length});
        } else if (nghttp2_session_consume(library, stream_id, length) != 0) {
            nghttp2_session_consume_connection(library, length);  // nobody reads it
        }
        return 0;
    }

    static int on_frame_send(nghttp2_session* library, const nghttp2_frame* frame,
                             void* user_data) {
        bool ends = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                    (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        http2::Stream* stream = session(user_data).stream(frame->hd.stream_id);
        if (!ends || !stream)
            return 0;
        stream->response_sent();
        // Answered while the client still sends a body nobody will read (RFC 9113 8.1): ask
        // it to stop, and the stream closes now.
        if (nghttp2_session_get_stream_remote_close(library, frame->hd.stream_id) == 0) {
            nghttp2_submit_rst_stream(library, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                      NGHTTP2_NO_ERROR);
        }
        return 0;
    }

    static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                               void* user_data) {
        session(user_data).close_stream(stream_id, error_code);
        return 0;
    }
};

namespace http2 {

nghttp2_session_callbacks* make_callbacks() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0)
        return nullptr;
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
                                                            CallbackAccess::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, CallbackAccess::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, CallbackAccess::on_frame_recv);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(
        callbacks, CallbackAccess::on_invalid_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                              CallbackAccess::on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, CallbackAccess::on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                           CallbackAccess::on_stream_close);
    return callbacks;
}

}  // namespace http2
}  // namespace bulkhead::worker
