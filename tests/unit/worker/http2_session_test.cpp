// Http2Session over a socket pair with a PlainTransport, driven in one thread against an
// nghttp2 client session (for well-behaved traffic) or hand-built frames (for attacks): static
// files with HEAD, ranges and conditionals, 421 for a foreign :authority, concurrent streams,
// graceful stop, and GOAWAY with bounded memory for rapid reset, CONTINUATION, SETTINGS and
// PING floods and HPACK bombs.

#include "worker/http2_session.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "worker/mime_types.hpp"
#include "worker/router.hpp"
#include "worker/static_files.hpp"
#include "worker/transport.hpp"

namespace bulkhead::worker {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxTurns = 4000;  // every drive loop is bounded in turns as well as in time

class FakeReactor final : public Reactor {
  public:
    void watch(int, std::uint32_t, IoHandler&) override {}
    void unwatch(int) override {}
    void wake(int fd) override { woken.push_back(fd); }
    void watch_child(pid_t, ChildObserver&) override {}
    void forget_child(pid_t) override {}
    void add_ticker(Ticker&) override {}
    std::vector<int> woken;
};

std::string big_content(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        data[i] = static_cast<char>((i * 7 + i / 251) % 256);
    return data;
}

// --- frames by hand ------------------------------------------------------------------------

enum FrameType : std::uint8_t {
    kData = 0,
    kHeaders = 1,
    kRstStream = 3,
    kSettings = 4,
    kPing = 6,
    kGoaway = 7,
    kWindowUpdate = 8,
    kContinuation = 9,
};
constexpr std::uint8_t kEndStream = 0x1;
constexpr std::uint8_t kEndHeaders = 0x4;
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  std::string_view payload) {
    std::string out;
    std::size_t length = payload.size();
    out += static_cast<char>(length >> 16);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length);
    out += static_cast<char>(type);
    out += static_cast<char>(flags);
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((stream >> shift) & 0xff);
    out += payload;
    return out;
}

std::string u32(std::uint32_t value) {
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((value >> shift) & 0xff);
    return out;
}

// HPACK's integer with an N-bit prefix (RFC 7541 5.1); `flags` fills the first byte's top bits.
std::string hpack_int(std::uint8_t flags, int prefix_bits, std::size_t value) {
    std::string out;
    std::size_t limit = (std::size_t{1} << prefix_bits) - 1;
    if (value < limit) {
        out += static_cast<char>(flags | value);
        return out;
    }
    out += static_cast<char>(flags | limit);
    value -= limit;
    while (value >= 128) {
        out += static_cast<char>(0x80 | (value & 0x7f));
        value >>= 7;
    }
    out += static_cast<char>(value);
    return out;
}

// HPACK: a literal field with a new name; `indexing` adds it to the dynamic table.
std::string new_literal(std::string_view name, std::string_view value, bool indexing) {
    std::string out = hpack_int(indexing ? 0x40 : 0x00, indexing ? 6 : 4, 0);
    out += hpack_int(0, 7, name.size()) + std::string(name);
    out += hpack_int(0, 7, value.size()) + std::string(value);
    return out;
}

// The :status of a response's first header block on the connection.
std::string decode_status(const std::string& block) {
    nghttp2_hd_inflater* inflater = nullptr;
    nghttp2_hd_inflate_new(&inflater);
    const auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
    std::size_t left = block.size();
    std::string status;
    for (int i = 0; i < 100; ++i) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t used = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
        if (used < 0)
            break;
        in += used;
        left -= static_cast<std::size_t>(used);
        if (flags & NGHTTP2_HD_INFLATE_EMIT) {
            std::string name(reinterpret_cast<const char*>(nv.name), nv.namelen);
            if (name == ":status")
                status.assign(reinterpret_cast<const char*>(nv.value), nv.valuelen);
        }
        if (flags & NGHTTP2_HD_INFLATE_FINAL)
            break;
    }
    nghttp2_hd_inflate_del(inflater);
    return status;
}

// HPACK: a literal field without indexing whose name is static-table entry `index`.
std::string literal(std::uint8_t index, std::string_view value) {
    std::string out;
    out += static_cast<char>(index);         // 0000xxxx, index < 15
    out += static_cast<char>(value.size());  // < 127, no Huffman
    out += value;
    return out;
}

// GET https://alpha.test/ : ":method GET" (2), ":scheme https" (7), ":path /" (4) are indexed.
std::string get_block(std::string_view authority = "alpha.test") {
    return std::string("\x82\x87\x84", 3) + literal(1, authority);
}

std::string opening() {
    return std::string(kPreface) + frame(kSettings, 0, 0, "");
}

struct Frame {
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint32_t stream = 0;
    std::string payload;
};

// Frames in `bytes` (after the server's SETTINGS); a partial one at the end stays there.
std::vector<Frame> parse_frames(std::string& bytes) {
    std::vector<Frame> frames;
    while (bytes.size() >= 9) {
        std::size_t length = (std::size_t{static_cast<std::uint8_t>(bytes[0])} << 16) |
                             (std::size_t{static_cast<std::uint8_t>(bytes[1])} << 8) |
                             static_cast<std::uint8_t>(bytes[2]);
        if (bytes.size() < 9 + length)
            break;
        Frame f;
        f.type = static_cast<std::uint8_t>(bytes[3]);
        f.flags = static_cast<std::uint8_t>(bytes[4]);
        for (int i = 5; i < 9; ++i)
            f.stream = (f.stream << 8) | static_cast<std::uint8_t>(bytes[i]);
        f.stream &= 0x7fffffff;
        f.payload = bytes.substr(9, length);
        frames.push_back(std::move(f));
        bytes.erase(0, 9 + length);
    }
    return frames;
}

std::uint32_t goaway_error(const Frame& goaway) {
    std::uint32_t code = 0;
    for (int i = 4; i < 8; ++i)
        code = (code << 8) | static_cast<std::uint8_t>(goaway.payload[i]);
    return code;
}

// --- an nghttp2 client -----------------------------------------------------------------

struct Reply {
    std::map<std::string, std::string> headers;
    std::string body;
    bool closed = false;
    std::uint32_t error = 0;
    int status() const {
        auto found = headers.find(":status");
        return found == headers.end() ? 0 : std::stoi(found->second);
    }
    std::string header(const std::string& name) const {
        auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
};

class Client {
  public:
    explicit Client(int fd) : fd_(fd) {
        nghttp2_session_callbacks* callbacks;
        nghttp2_session_callbacks_new(&callbacks);
        nghttp2_session_callbacks_set_send_callback(callbacks, on_send);
        nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data);
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_close);
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame);
        nghttp2_session_client_new(&session_, callbacks, this);
        nghttp2_session_callbacks_del(callbacks);
        nghttp2_settings_entry window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20};
        nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, &window, 1);
        // A large connection window: only the socket and the server's limits hold data back.
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 64 << 20);
    }
    ~Client() { nghttp2_session_del(session_); }

    std::int32_t request(const std::string& path, const std::string& authority = "alpha.test",
                         const std::vector<std::pair<std::string, std::string>>& extra = {},
                         const std::string& method = "GET", const std::string* body = nullptr) {
        std::vector<std::pair<std::string, std::string>> fields = {
            {":method", method}, {":scheme", "https"}, {":authority", authority}, {":path", path}};
        fields.insert(fields.end(), extra.begin(), extra.end());
        std::vector<nghttp2_nv> nv;
        for (auto& [name, value] : fields) {
            nv.push_back({reinterpret_cast<std::uint8_t*>(name.data()),
                          reinterpret_cast<std::uint8_t*>(value.data()), name.size(), value.size(),
                          NGHTTP2_NV_FLAG_NONE});
        }
        nghttp2_data_provider provider{};
        provider.source.ptr = new Upload{body ? *body : std::string(), 0};
        provider.read_callback = read_upload;
        std::int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                                 body ? &provider : nullptr, nullptr);
        if (!body)
            delete static_cast<Upload*>(provider.source.ptr);
        else
            uploads_.emplace_back(static_cast<Upload*>(provider.source.ptr));
        replies[id];
        return id;
    }

    void flush() { nghttp2_session_send(session_); }

    // Reads what is there; false at EOF.
    bool receive() {
        char buffer[65536];
        for (int i = 0; i < 64; ++i) {
            ssize_t got = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got == 0)
                return !(eof = true);
            if (got < 0)
                return true;
            nghttp2_session_mem_recv(session_, reinterpret_cast<std::uint8_t*>(buffer),
                                     static_cast<std::size_t>(got));
        }
        return true;
    }

    bool all_closed() const {
        for (const auto& [id, reply] : replies) {
            if (!reply.closed)
                return false;
        }
        return true;
    }

    std::map<std::int32_t, Reply> replies;
    bool goaway = false;
    std::uint32_t goaway_code = 0;
    std::int32_t goaway_last_stream = -1;
    bool eof = false;

  private:
    struct Upload {
        std::string data;
        std::size_t sent = 0;
    };
    static ssize_t read_upload(nghttp2_session*, std::int32_t, std::uint8_t* buffer,
                               std::size_t length, std::uint32_t* flags,
                               nghttp2_data_source* source, void*) {
        auto* upload = static_cast<Upload*>(source->ptr);
        std::size_t count = std::min(length, upload->data.size() - upload->sent);
        std::memcpy(buffer, upload->data.data() + upload->sent, count);
        upload->sent += count;
        if (upload->sent == upload->data.size())
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(count);
    }
    static Client& self(void* data) { return *static_cast<Client*>(data); }
    static ssize_t on_send(nghttp2_session*, const std::uint8_t* data, std::size_t length, int,
                           void* user) {
        ssize_t sent = send(self(user).fd_, data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0)
            return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
        return sent;
    }
    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                         std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                         std::uint8_t, void* user) {
        self(user)
            .replies[frame->hd.stream_id]
            .headers[std::string(reinterpret_cast<const char*>(name), namelen)] =
            std::string(reinterpret_cast<const char*>(value), valuelen);
        return 0;
    }
    static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                       std::size_t length, void* user) {
        self(user).replies[id].body.append(reinterpret_cast<const char*>(data), length);
        return 0;
    }
    static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t error, void* user) {
        Reply& reply = self(user).replies[id];
        reply.closed = true;
        reply.error = error;
        return 0;
    }
    static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
        if (frame->hd.type == NGHTTP2_GOAWAY) {
            self(user).goaway = true;
            self(user).goaway_code = frame->goaway.error_code;
            self(user).goaway_last_stream = frame->goaway.last_stream_id;
        }
        return 0;
    }

    int fd_;
    nghttp2_session* session_ = nullptr;
    std::vector<std::unique_ptr<Upload>> uploads_;
};

// --- the server side -------------------------------------------------------------------

class Http2SessionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/bulkhead-h2-test-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        root_ = pattern;
        write("index.html", "<h1>alpha</h1>\n");
        write("big.bin", big_content(300 * 1024));
        write("empty.txt", "");
        root_fd_ = UniqueFd(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(root_fd_.valid());
        site_.name = "alpha";
        site_.hosts.add("alpha.test", 0);
        site_.root = root_;
        site_.keepalive_timeout_ms = 5000;
        files_ = std::make_unique<StaticFiles>(
            root_fd_.get(), std::vector<std::string>{"index.html"}, mime_, file_cache_);
        router_ = std::make_unique<Router>(site_, *files_, reactor_, nullptr);
        std::string log_path = root_ + "/access.log";
        log_fd_ = UniqueFd(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        access_log_ = std::make_unique<AccessLog>(log_fd_.get());
    }

    void TearDown() override {
        session_.reset();
        if (client_fd_ >= 0)
            close(client_fd_);
        fs::remove_all(root_);
    }

    void write(const std::string& name, const std::string& content) {
        std::ofstream(root_ + "/" + name, std::ios::binary) << content;
    }

    void open_session(std::uint16_t flags = ipc::kConnectionTls,
                      http2::Limits limits = http2::Limits{}) {
        int pair[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
        client_fd_ = pair[0];
        ipc::ConnectionMeta meta{};
        meta.local.family = AF_INET;  // no getsockname() on a socket pair
        session_ = std::make_unique<Http2Session>(
            std::make_unique<PlainTransport>(UniqueFd(pair[1])), meta, flags,
            ConnectionContext{site_, *router_, *access_log_, reactor_}, limits);
        client_ = std::make_unique<Client>(client_fd_);
    }

    // One turn of the server: advance (again while it asked to be woken).
    void serve() {
        if (!session_ || closed_)
            return;
        for (int i = 0; i < 8; ++i) {
            reactor_.woken.clear();
            if (session_->advance() == ClientSession::Verdict::close) {
                closed_ = true;
                peak_ = session_->library_memory().peak();
                session_.reset();  // as the loop does: the socket closes
                return;
            }
            if (reactor_.woken.empty())
                return;
        }
    }

    // Runs client and server until `done` or kMaxTurns turns.
    bool run_until(const std::function<bool()>& done) {
        for (int turn = 0; turn < kMaxTurns; ++turn) {
            client_->flush();
            serve();
            client_->receive();
            if (done())
                return true;
            if (client_->eof)
                return done();
        }
        return false;
    }

    Reply fetch(const std::string& path, const std::string& authority = "alpha.test",
                const std::vector<std::pair<std::string, std::string>>& extra = {},
                const std::string& method = "GET") {
        std::int32_t id = client_->request(path, authority, extra, method);
        EXPECT_TRUE(run_until([&] { return client_->replies[id].closed; })) << path;
        return client_->replies[id];
    }

    // Raw bytes to the server (the client's own nghttp2 session is not used then).
    void send_raw(const std::string& bytes) {
        std::size_t at = 0;
        for (int turn = 0; turn < kMaxTurns && at < bytes.size(); ++turn) {
            ssize_t sent =
                send(client_fd_, bytes.data() + at, bytes.size() - at, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (sent > 0)
                at += static_cast<std::size_t>(sent);
            else if (sent < 0 && errno != EAGAIN)
                break;  // the server closed
            serve();
            drain_raw();
        }
    }

    void drain_raw() {
        char buffer[65536];
        for (int i = 0; i < 64; ++i) {
            ssize_t got = recv(client_fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got <= 0) {
                raw_eof_ = raw_eof_ || got == 0;
                return;
            }
            raw_in_.append(buffer, static_cast<std::size_t>(got));
        }
    }

    // Serves until the server sent GOAWAY or closed; the GOAWAY's error code, or -1.
    long raw_goaway() {
        long code = -1;
        for (int turn = 0; turn < kMaxTurns && !raw_eof_; ++turn) {
            serve();
            drain_raw();
            for (const Frame& f : parse_frames(raw_in_)) {
                if (f.type == kGoaway)
                    code = goaway_error(f);
            }
            if (code >= 0 && closed_)
                break;
        }
        return code;
    }

    std::size_t library_peak() const {
        return session_ ? session_->library_memory().peak() : peak_;
    }

    std::string root_;
    UniqueFd root_fd_;
    MimeTypes mime_ = MimeTypes::from_text("text/html html\ntext/plain txt\n");
    Site site_;
    FakeReactor reactor_;
    FileCache file_cache_;
    std::unique_ptr<StaticFiles> files_;
    std::unique_ptr<Router> router_;
    UniqueFd log_fd_;
    std::unique_ptr<AccessLog> access_log_;
    std::unique_ptr<Http2Session> session_;
    std::unique_ptr<Client> client_;
    int client_fd_ = -1;
    bool closed_ = false;
    std::size_t peak_ = 0;
    std::string raw_in_;
    bool raw_eof_ = false;
};

// --- well-behaved traffic --------------------------------------------------------------

TEST_F(Http2SessionTest, GetsAStaticFile) {
    open_session();
    Reply reply = fetch("/index.html");
    EXPECT_EQ(reply.status(), 200);
    EXPECT_EQ(reply.body, "<h1>alpha</h1>\n");
    EXPECT_EQ(reply.header("content-length"), "15");
    EXPECT_EQ(reply.header("server"), "bulkhead");
    EXPECT_FALSE(reply.header("date").empty());
    EXPECT_EQ(reply.header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(reply.error, NGHTTP2_NO_ERROR);
}

TEST_F(Http2SessionTest, IndexOfTheRoot) {
    open_session();
    Reply reply = fetch("/");
    EXPECT_EQ(reply.status(), 200);
    EXPECT_EQ(reply.body, "<h1>alpha</h1>\n");
}

TEST_F(Http2SessionTest, LargeFileArrivesWhole) {
    open_session();
    Reply reply = fetch("/big.bin");
    EXPECT_EQ(reply.status(), 200);
    EXPECT_EQ(reply.body.size(), 300u * 1024);
    EXPECT_TRUE(reply.body == big_content(300 * 1024));
}

TEST_F(Http2SessionTest, HeadHasLengthButNoBody) {
    open_session();
    Reply reply = fetch("/big.bin", "alpha.test", {}, "HEAD");
    EXPECT_EQ(reply.status(), 200);
    EXPECT_EQ(reply.header("content-length"), std::to_string(300 * 1024));
    EXPECT_TRUE(reply.body.empty());
}

TEST_F(Http2SessionTest, EmptyFile) {
    open_session();
    Reply reply = fetch("/empty.txt");
    EXPECT_EQ(reply.status(), 200);
    EXPECT_EQ(reply.header("content-length"), "0");
    EXPECT_TRUE(reply.body.empty());
}

TEST_F(Http2SessionTest, Range) {
    open_session();
    Reply reply = fetch("/big.bin", "alpha.test", {{"range", "bytes=1000-1999"}});
    EXPECT_EQ(reply.status(), 206);
    EXPECT_EQ(reply.header("content-range"), "bytes 1000-1999/" + std::to_string(300 * 1024));
    EXPECT_EQ(reply.body, big_content(300 * 1024).substr(1000, 1000));
}

TEST_F(Http2SessionTest, ConditionalGetIs304) {
    open_session();
    Reply first = fetch("/index.html");
    ASSERT_FALSE(first.header("etag").empty());
    Reply second = fetch("/index.html", "alpha.test", {{"if-none-match", first.header("etag")}});
    EXPECT_EQ(second.status(), 304);
    EXPECT_TRUE(second.body.empty());
    EXPECT_EQ(second.header("content-length"), "");
    Reply failed = fetch("/index.html", "alpha.test", {{"if-match", "\"other\""}});
    EXPECT_EQ(failed.status(), 412);
}

TEST_F(Http2SessionTest, MissingFileAndBadMethod) {
    open_session();
    EXPECT_EQ(fetch("/nope").status(), 404);
    Reply post = fetch("/index.html", "alpha.test", {}, "DELETE");
    EXPECT_EQ(post.status(), 405);
    EXPECT_EQ(post.header("allow"), "GET, HEAD");
}

TEST_F(Http2SessionTest, ForeignAuthorityIs421AndTheSessionGoesOn) {
    open_session();
    Reply foreign = fetch("/index.html", "beta.test");
    EXPECT_EQ(foreign.status(), 421);
    EXPECT_FALSE(client_->goaway);
    EXPECT_EQ(fetch("/index.html", "sub.alpha.test").status(), 421);  // no wildcard configured
    EXPECT_EQ(fetch("/index.html", "ALPHA.test:8443").status(), 200);
}

TEST_F(Http2SessionTest, UnknownHostRoutingServesTheFirstAuthorityOnly) {
    open_session(ipc::kConnectionTls | ipc::kServeAnyHost);
    EXPECT_EQ(fetch("/index.html", "10.0.0.1").status(), 200);
    EXPECT_EQ(fetch("/index.html", "10.0.0.1").status(), 200);
    EXPECT_EQ(fetch("/index.html", "other.test").status(), 421);
    EXPECT_EQ(fetch("/index.html", "alpha.test").status(), 200);
}

TEST_F(Http2SessionTest, HstsWhenTheSiteAsks) {
    site_.tls.emplace();
    site_.tls->hsts_max_age_s = 600;
    open_session();
    EXPECT_EQ(fetch("/index.html").header("strict-transport-security"), "max-age=600");
    EXPECT_EQ(fetch("/nope").header("strict-transport-security"), "max-age=600");
}

TEST_F(Http2SessionTest, ConcurrentStreams) {
    open_session();
    std::vector<std::int32_t> ids;
    for (int i = 0; i < 60; ++i)
        ids.push_back(client_->request(i % 2 ? "/big.bin" : "/index.html"));
    ASSERT_TRUE(run_until([&] { return client_->all_closed(); }));
    std::string big = big_content(300 * 1024);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const Reply& reply = client_->replies[ids[i]];
        EXPECT_EQ(reply.status(), 200);
        EXPECT_TRUE(reply.body == (i % 2 ? big : "<h1>alpha</h1>\n")) << i;
    }
    EXPECT_LT(library_peak(), 2u << 20);
}

TEST_F(Http2SessionTest, BodiesSentToStaticFilesGiveTheirWindowBack) {
    open_session();
    std::string body(3 << 20, 'u');  // more than the connection's window, three times over
    for (int i = 0; i < 3; ++i) {
        std::int32_t id = client_->request("/index.html", "alpha.test", {}, "POST", &body);
        ASSERT_TRUE(run_until([&] { return client_->replies[id].closed; })) << i;
        EXPECT_EQ(client_->replies[id].status(), 405);
    }
    EXPECT_EQ(fetch("/index.html").status(), 200);
}

// The body passes max_body_bytes in the same read as the HEADERS, before the stream starts:
// one 413, whole, and nothing else on that stream.
TEST_F(Http2SessionTest, BodyOverTheLimitIsAnsweredOnceWith413) {
    site_.max_body_bytes = 1000;
    open_session();
    std::string body(5000, 'u');
    std::int32_t id = client_->request("/index.html", "alpha.test", {}, "POST", &body);
    ASSERT_TRUE(run_until([&] { return client_->replies[id].closed; }));
    const Reply& reply = client_->replies[id];
    EXPECT_EQ(reply.status(), 413);
    EXPECT_EQ(reply.error, 0u) << "the stream was reset after its answer";
    EXPECT_EQ(std::to_string(reply.body.size()), reply.header("content-length"));
    EXPECT_EQ(fetch("/index.html").status(), 200);
}

TEST_F(Http2SessionTest, ASlowReaderHoldsBoundedOutput) {
    open_session();
    std::vector<std::int32_t> ids;
    for (int i = 0; i < 50; ++i)
        ids.push_back(client_->request("/big.bin"));
    client_->flush();
    for (int turn = 0; turn < 200; ++turn)  // the client reads nothing meanwhile
        serve();
    EXPECT_FALSE(closed_);
    EXPECT_FALSE(session_->wants_read());  // its requests would only add to the queue
    EXPECT_TRUE(session_->wants_write());
    EXPECT_LT(session_->deadline(), monotonic_ms() + site_.keepalive_timeout_ms + 1);
    EXPECT_LT(library_peak(), 1u << 20);
    ASSERT_TRUE(run_until([&] { return client_->all_closed(); }));
    for (std::int32_t id : ids)
        EXPECT_EQ(client_->replies[id].body.size(), 300u * 1024);
}

TEST_F(Http2SessionTest, AccessLogLinePerStream) {
    open_session();
    fetch("/index.html", "alpha.test", {{"user-agent", "h2-test"}});
    fetch("/nope");
    access_log_->flush();
    std::ifstream log(root_ + "/access.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("\"GET /index.html HTTP/2.0\" 200 15"), std::string::npos) << text;
    EXPECT_NE(text.find("\"h2-test\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"GET /nope HTTP/2.0\" 404"), std::string::npos) << text;
}

TEST_F(Http2SessionTest, GracefulStopSendsGoawayAndCloses) {
    open_session();
    EXPECT_EQ(fetch("/index.html").status(), 200);
    client_->flush();
    ClientSession::Verdict verdict = session_->stop_keep_alive();
    if (verdict == ClientSession::Verdict::close) {
        closed_ = true;
        session_.reset();
    }
    ASSERT_TRUE(run_until([&] { return client_->goaway && closed_; }));
    EXPECT_EQ(client_->goaway_code, NGHTTP2_NO_ERROR);
    EXPECT_EQ(client_->goaway_last_stream, 1);
}

TEST_F(Http2SessionTest, IdleSessionHasAKeepAliveDeadline) {
    open_session();
    Millis now = monotonic_ms();
    EXPECT_GT(session_->deadline(), now);
    EXPECT_LE(session_->deadline(), now + site_.keepalive_timeout_ms);
    EXPECT_EQ(session_->on_timeout(), ClientSession::Verdict::close);
}

TEST_F(Http2SessionTest, NotAnHttp2ClientIsClosed) {
    open_session();
    send_raw("GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n");
    long code = raw_goaway();
    EXPECT_TRUE(closed_);
    // nghttp2 gives up on a connection without the preface: a GOAWAY is optional.
    EXPECT_TRUE(code == -1 || code == NGHTTP2_PROTOCOL_ERROR) << code;
}

// --- attacks ---------------------------------------------------------------------------

TEST_F(Http2SessionTest, RapidResetFloodEndsInGoaway) {
    open_session();
    std::string bytes = opening();
    std::string block = get_block();
    std::uint32_t stream = 1;
    for (int i = 0; i < 3000; ++i, stream += 2) {
        bytes += frame(kHeaders, kEndHeaders | kEndStream, stream, block);
        bytes += frame(kRstStream, 0, stream, u32(NGHTTP2_CANCEL));
    }
    send_raw(bytes);
    EXPECT_EQ(raw_goaway(), NGHTTP2_ENHANCE_YOUR_CALM);
    EXPECT_TRUE(closed_);
    EXPECT_LT(library_peak(), 1u << 20);
}

TEST_F(Http2SessionTest, ContinuationFloodEndsInGoaway) {
    open_session();
    std::string bytes = opening();
    bytes += frame(kHeaders, 0, 1, get_block());
    std::string filler;  // whole "x-a: aaaa..." literals, 1 KiB each, in each frame
    for (int i = 0; i < 15; ++i)
        filler += new_literal("x-a", std::string(1000, 'a'), false);
    for (int i = 0; i < 200; ++i)
        bytes += frame(kContinuation, 0, 1, filler);
    send_raw(bytes);
    EXPECT_EQ(raw_goaway(), NGHTTP2_ENHANCE_YOUR_CALM);
    EXPECT_LT(library_peak(), 1u << 20);
}

TEST_F(Http2SessionTest, HpackBombIs431WithBoundedMemory) {
    open_session();
    std::string bytes = opening();
    // One 4000-byte field into the dynamic table, then referenced 4000 times: 16 MB decoded.
    std::string block = get_block();
    block += new_literal("x-big", std::string(4000, 'b'), true);
    for (int i = 0; i < 4000; ++i)
        block += '\xbe';  // indexed field 62: the newest dynamic-table entry
    std::size_t at = 0;
    std::size_t piece = 4000;
    bytes += frame(kHeaders, kEndStream, 1, block.substr(0, piece));
    for (at = piece; at < block.size(); at += piece) {
        bool last = at + piece >= block.size();
        bytes += frame(kContinuation, last ? kEndHeaders : 0, 1, block.substr(at, piece));
    }
    send_raw(bytes);
    std::string status;
    for (int turn = 0; turn < kMaxTurns && !raw_eof_ && status.empty(); ++turn) {
        serve();
        drain_raw();
        for (const Frame& f : parse_frames(raw_in_)) {
            if (f.type == kHeaders && f.stream == 1)
                status = decode_status(f.payload);
        }
    }
    EXPECT_EQ(status, "431");
    EXPECT_LT(library_peak(), 1u << 20);
}

TEST_F(Http2SessionTest, SettingsFloodEndsInGoaway) {
    open_session();
    std::string bytes = opening();
    for (int i = 0; i < 5000; ++i)
        bytes += frame(kSettings, 0, 0, "");
    send_raw(bytes);
    EXPECT_EQ(raw_goaway(), NGHTTP2_ENHANCE_YOUR_CALM);
    EXPECT_LT(library_peak(), 1u << 20);
}

TEST_F(Http2SessionTest, PingFloodEndsInGoaway) {
    open_session();
    std::string bytes = opening();
    for (int i = 0; i < 5000; ++i)
        bytes += frame(kPing, 0, 0, "12345678");
    send_raw(bytes);
    EXPECT_EQ(raw_goaway(), NGHTTP2_ENHANCE_YOUR_CALM);
    EXPECT_LT(library_peak(), 1u << 20);
}

TEST_F(Http2SessionTest, TooManyStreamsAreRefused) {
    http2::Limits limits;
    limits.max_concurrent_streams = 4;
    open_session(ipc::kConnectionTls, limits);
    std::string bytes = opening();
    std::string block = get_block();
    // Streams that stay open (no END_STREAM): the fifth and later are refused.
    for (std::uint32_t stream = 1; stream <= 11; stream += 2)
        bytes += frame(kHeaders, kEndHeaders, stream, block);
    send_raw(bytes);
    int refused = 0;
    for (int turn = 0; turn < 200; ++turn) {
        serve();
        drain_raw();
        for (const Frame& f : parse_frames(raw_in_)) {
            if (f.type == kRstStream && f.payload != u32(NGHTTP2_NO_ERROR))
                ++refused;
        }
    }
    EXPECT_EQ(refused, 2);
    EXPECT_FALSE(closed_);
}

}  // namespace
}  // namespace bulkhead::worker

namespace bulkhead::worker {
namespace {

// Valid requests with bytes flipped at random (seeded, so a failure repeats): whatever nghttp2
// and the streams make of them, nothing crashes and memory stays bounded.
TEST_F(Http2SessionTest, MutatedFramesAreSurvived) {
    std::string valid = opening();
    std::string block = get_block();
    for (std::uint32_t stream = 1; stream <= 9; stream += 2) {
        valid += frame(kHeaders, kEndHeaders, stream, block);
        valid += frame(kData, kEndStream, stream, "body");
    }
    valid += frame(kPing, 0, 0, "12345678") + frame(kWindowUpdate, 0, 0, u32(1000));
    std::uint32_t seed = 12345;
    auto next = [&seed] {
        seed = seed * 1103515245 + 12345;
        return (seed >> 16) & 0x7fff;
    };
    for (int round = 0; round < 150; ++round) {
        std::string bytes = valid;
        int flips = 1 + static_cast<int>(next() % 8);
        for (int i = 0; i < flips; ++i) {
            std::size_t at = kPreface.size() + next() % (bytes.size() - kPreface.size());
            bytes[at] = static_cast<char>(next() & 0xff);
        }
        open_session();
        send_raw(bytes);
        for (int turn = 0; turn < 20 && !closed_; ++turn) {
            serve();
            drain_raw();
        }
        EXPECT_LT(library_peak(), 1u << 20) << "round " << round;
        session_.reset();
        close(client_fd_);
        client_fd_ = -1;
        closed_ = false;
        raw_in_.clear();
        raw_eof_ = false;
    }
}

}  // namespace
}  // namespace bulkhead::worker
