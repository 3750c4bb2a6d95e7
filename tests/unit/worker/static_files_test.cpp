#include "worker/static_files.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "proto/http_head.hpp"

namespace bulkhead::worker {
namespace {

namespace fs = std::filesystem;

// 2020-01-01T00:00:00Z and some nanoseconds: every file gets this mtime, so the validators
// below are fixed.
constexpr time_t kMtime = 1577836800;
constexpr long kMtimeNsec = 123456789;
constexpr const char* kLastModified = "Wed, 01 Jan 2020 00:00:00 GMT";
constexpr const char* kDataTag = "\"5e0be100-75bcd15-a\"";  // data.bin: 10 bytes

// A request head parsed by the real parser; it points into `text`, so it stays where it is.
struct Request {
    explicit Request(std::string request_text) : text(std::move(request_text)) {
        proto::ParseOutcome outcome = proto::parse_request_head(proto::as_bytes(text), {}, head);
        EXPECT_EQ(outcome.status, proto::ParseStatus::complete) << text;
    }
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    std::string text;
    proto::RequestHead head;
};

bool has_header(const ResponsePlan& plan, std::string_view line) {
    return plan.headers.find(std::string(line) + "\r\n") != std::string::npos;
}

bool has_header_named(const ResponsePlan& plan, std::string_view name) {
    return plan.headers.starts_with(std::string(name) + ":") ||
           plan.headers.find("\r\n" + std::string(name) + ":") != std::string::npos;
}

// The bytes a plan would send from its file.
std::string file_bytes(const ResponsePlan& plan) {
    std::string bytes(plan.length, '\0');
    ssize_t got =
        pread(plan.file->fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(plan.offset));
    EXPECT_EQ(got, static_cast<ssize_t>(plan.length));
    return bytes;
}

class StaticFilesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = make_temp_dir();
        outside_ = make_temp_dir();
        write(outside_ / "secret.txt", "outside the root\n");
        build_root();
        set_mtimes();
        // Search-only after set_mtimes, which must list it.
        fs::permissions(root_ / "private",
                        fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec);
        root_fd_ = UniqueFd(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(root_fd_.valid());
        files_ = std::make_unique<StaticFiles>(root_fd_.get(),
                                               std::vector<std::string>{"index.html", "index.htm"},
                                               mime_types_, cache_);
    }

    void TearDown() override {
        files_.reset();
        root_fd_.reset();
        std::error_code ignored;
        fs::permissions(root_ / "private", fs::perms::owner_all, ignored);
        fs::remove_all(root_);
        fs::remove_all(outside_);
    }

    static fs::path make_temp_dir() {
        std::string name = (fs::temp_directory_path() / "bulkhead-static-XXXXXX").string();
        EXPECT_NE(mkdtemp(name.data()), nullptr) << std::strerror(errno);
        return name;
    }

    static void write(const fs::path& path, std::string_view content) {
        std::ofstream(path, std::ios::binary) << content;
    }

    void build_root() {
        write(root_ / "hello.txt", "hello, world\n");
        write(root_ / "data.bin", "0123456789");
        write(root_ / "page.HTML", "<p>upper case</p>\n");
        write(root_ / "locked.txt", "no one may read this\n");
        fs::permissions(root_ / "locked.txt", fs::perms::none);
        fs::create_directories(root_ / "docs");
        write(root_ / "docs" / "index.html", "<h1>docs</h1>\n");
        fs::create_directory(root_ / "empty");
        fs::create_directories(root_ / "second" / "index.html");  // a directory: skipped
        write(root_ / "second" / "index.htm", "<p>second</p>\n");
        fs::create_directory(root_ / "private");
        write(root_ / "private" / "index.html", "searchable only\n");
        fs::create_directory(root_ / "sub dir");
        write(root_ / "sub dir" / "index.html", "spaced\n");
        fs::create_symlink("hello.txt", root_ / "alias.txt");
        fs::create_symlink("../hello.txt", root_ / "docs" / "up.txt");
        fs::create_symlink("docs", root_ / "docs-link");
        fs::create_symlink("/etc/passwd", root_ / "passwd");
        fs::create_symlink(outside_, root_ / "outdir");
        fs::create_symlink(fs::relative(outside_ / "secret.txt", root_), root_ / "escape.txt");
        fs::create_symlink(root_ / "hello.txt", root_ / "absolute.txt");
        ASSERT_EQ(mkfifo((root_ / "pipe").c_str(), 0644), 0);
        make_socket_file(root_ / "socket");
    }

    static void make_socket_file(const fs::path& path) {
        UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        ASSERT_LT(path.string().size(), sizeof address.sun_path);
        std::strcpy(address.sun_path, path.c_str());
        ASSERT_EQ(bind(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    }

    void set_mtimes() {
        const timespec times[2] = {{kMtime, kMtimeNsec}, {kMtime, kMtimeNsec}};
        for (const auto& entry : fs::recursive_directory_iterator(root_)) {
            utimensat(AT_FDCWD, entry.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
        }
    }

    ResponsePlan serve(std::string_view method, std::string_view target,
                       std::string_view extra_headers = {}) {
        Request request(std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: test.example\r\n" + std::string(extra_headers) +
                        "\r\n");
        return files_->serve(request.head);
    }
    ResponsePlan get(std::string_view target, std::string_view extra_headers = {}) {
        return serve("GET", target, extra_headers);
    }

    fs::path root_;
    fs::path outside_;
    UniqueFd root_fd_;
    MimeTypes mime_types_ = MimeTypes::from_text("text/plain txt\ntext/html html htm\n");
    FileCache cache_;
    std::unique_ptr<StaticFiles> files_;
};

// --- 200 and HEAD -----------------------------------------------------------------------------

TEST_F(StaticFilesTest, ServesFileWithTypeAndValidators) {
    ResponsePlan plan = get("/hello.txt");
    EXPECT_EQ(plan.status, 200);
    EXPECT_TRUE(has_header(plan, "Content-Type: text/plain; charset=utf-8"));
    EXPECT_TRUE(has_header(plan, "ETag: \"5e0be100-75bcd15-d\""));
    EXPECT_TRUE(has_header(plan, std::string("Last-Modified: ") + kLastModified));
    EXPECT_TRUE(has_header(plan, "Accept-Ranges: bytes"));
    ASSERT_NE(plan.file, nullptr);
    EXPECT_EQ(plan.offset, 0u);
    EXPECT_EQ(plan.length, 13u);
    EXPECT_FALSE(plan.omit_body);
    EXPECT_TRUE(plan.body.empty());
    EXPECT_EQ(file_bytes(plan), "hello, world\n");
}

TEST_F(StaticFilesTest, FileDescriptorIsCloseOnExec) {
    ResponsePlan plan = get("/hello.txt");
    ASSERT_NE(plan.file, nullptr);
    EXPECT_TRUE(fcntl(plan.file->fd.get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(StaticFilesTest, ContentTypeIgnoresCase) {
    ResponsePlan plan = get("/page.HTML");
    EXPECT_EQ(plan.status, 200);
    EXPECT_TRUE(has_header(plan, "Content-Type: text/html; charset=utf-8"));
}

TEST_F(StaticFilesTest, UnknownExtensionIsOctetStream) {
    ResponsePlan plan = get("/data.bin");
    EXPECT_EQ(plan.status, 200);
    EXPECT_TRUE(has_header(plan, "Content-Type: application/octet-stream"));
}

TEST_F(StaticFilesTest, HeadHasHeadersButNoBody) {
    ResponsePlan plan = serve("HEAD", "/hello.txt");
    EXPECT_EQ(plan.status, 200);
    EXPECT_TRUE(plan.omit_body);
    EXPECT_EQ(plan.length, 13u);
    EXPECT_EQ(plan.file, nullptr);
    EXPECT_TRUE(has_header(plan, "Content-Type: text/plain; charset=utf-8"));
    EXPECT_TRUE(has_header(plan, "ETag: \"5e0be100-75bcd15-d\""));
}

TEST_F(StaticFilesTest, HeadOfMissingFileOmitsBody) {
    ResponsePlan plan = serve("HEAD", "/missing.txt");
    EXPECT_EQ(plan.status, 404);
    EXPECT_TRUE(plan.omit_body);
}

TEST_F(StaticFilesTest, PercentEncodedName) {
    ResponsePlan plan = get("/hell%6F.txt?query=ignored");
    EXPECT_EQ(plan.status, 200);
    EXPECT_EQ(file_bytes(plan), "hello, world\n");
}

// --- errors -----------------------------------------------------------------------------------

TEST_F(StaticFilesTest, MissingFileIs404) {
    ResponsePlan plan = get("/missing.txt");
    EXPECT_EQ(plan.status, 404);
    EXPECT_EQ(plan.body,
              "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
              "</body></html>\n");
    EXPECT_EQ(plan.length, plan.body.size());
    EXPECT_TRUE(has_header(plan, "Content-Type: text/html; charset=utf-8"));
    EXPECT_EQ(plan.file, nullptr);
}

TEST_F(StaticFilesTest, FileWithTrailingSlashIs404) {
    for (const char* target : {"/hello.txt/", "/hello.txt/more", "/alias.txt/", "/pipe/"}) {
        EXPECT_EQ(get(target).status, 404) << target;
    }
}

TEST_F(StaticFilesTest, TraversalIs400) {
    for (const char* target :
         {"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e", "/%2E%2E/hello.txt",
          "/docs/../../hello.txt", "/bad%zzescape", "/nul%00.txt"}) {
        EXPECT_EQ(get(target).status, 400) << target;
    }
}

// Whether the normalizer refuses an encoded slash or keeps it inside a segment, the file
// outside the root is never served.
TEST_F(StaticFilesTest, EncodedSlashNeverEscapes) {
    for (const char* target : {"/..%2fhello.txt", "/docs/..%2F..%2Fetc%2Fpasswd", "/%2e%2e%2f"}) {
        ResponsePlan plan = get(target);
        EXPECT_TRUE(plan.status == 400 || plan.status == 404) << target << " " << plan.status;
        EXPECT_EQ(plan.file, nullptr) << target;
    }
}

TEST_F(StaticFilesTest, DotSegmentsInsideRootAreFine) {
    ResponsePlan plan = get("/docs/../hello.txt");
    EXPECT_EQ(plan.status, 200);
}

TEST_F(StaticFilesTest, MethodsOtherThanGetAndHeadAre405) {
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"}) {
        ResponsePlan plan = serve(method, "/hello.txt");
        EXPECT_EQ(plan.status, 405) << method;
        EXPECT_TRUE(has_header(plan, "Allow: GET, HEAD")) << method;
    }
}

TEST_F(StaticFilesTest, FifoIs403WithoutBlocking) {
    ResponsePlan plan = get("/pipe");
    EXPECT_EQ(plan.status, 403);
    EXPECT_EQ(plan.file, nullptr);
}

TEST_F(StaticFilesTest, SocketIs403) {
    EXPECT_EQ(get("/socket").status, 403);
}

TEST_F(StaticFilesTest, UnreadableFileIs403) {
    if (geteuid() == 0)
        GTEST_SKIP() << "root reads mode-0000 files; 403 is covered by FIFOs";
    EXPECT_EQ(get("/locked.txt").status, 403);
}

// Out of descriptors: the client is told to come back, not that the file is missing. In a
// child process, so the lowered limit does not outlive the test.
TEST_F(StaticFilesTest, ResourceShortageIs503) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "the sanitizer runtime needs descriptors of its own to check memory";
#endif
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int lowest_free = fcntl(root_fd_.get(), F_DUPFD, 0);
        close(lowest_free);
        rlimit limit{static_cast<rlim_t>(lowest_free), static_cast<rlim_t>(lowest_free)};
        setrlimit(RLIMIT_NOFILE, &limit);
        Request request("GET /hello.txt HTTP/1.1\r\nHost: test.example\r\n\r\n");
        ResponsePlan plan = files_->serve(request.head);
        _exit(plan.status == 503 && has_header(plan, "Retry-After: 1") ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// --- symlinks ---------------------------------------------------------------------------------

TEST_F(StaticFilesTest, SymlinksBeneathRootAreFollowed) {
    ResponsePlan alias = get("/alias.txt");
    EXPECT_EQ(alias.status, 200);
    EXPECT_EQ(file_bytes(alias), "hello, world\n");
    ResponsePlan up = get("/docs/up.txt");
    EXPECT_EQ(up.status, 200);
    EXPECT_EQ(file_bytes(up), "hello, world\n");
    EXPECT_EQ(get("/docs-link/").status, 200);
}

TEST_F(StaticFilesTest, SymlinksLeavingRootAre404) {
    for (const char* target :
         {"/passwd", "/escape.txt", "/outdir", "/outdir/", "/outdir/secret.txt", "/absolute.txt"}) {
        ResponsePlan plan = get(target);
        EXPECT_EQ(plan.status, 404) << target;
        EXPECT_EQ(plan.file, nullptr) << target;
    }
}

// --- directories ------------------------------------------------------------------------------

TEST_F(StaticFilesTest, DirectoryWithoutSlashRedirects) {
    ResponsePlan plan = get("/docs");
    EXPECT_EQ(plan.status, 301);
    EXPECT_TRUE(has_header(plan, "Location: /docs/"));
}

TEST_F(StaticFilesTest, RedirectKeepsQuery) {
    ResponsePlan plan = get("/docs?a=1&b");
    EXPECT_EQ(plan.status, 301);
    EXPECT_TRUE(has_header(plan, "Location: /docs/?a=1&b"));
}

TEST_F(StaticFilesTest, RedirectKeepsPercentEncoding) {
    ResponsePlan plan = get("/sub%20dir");
    EXPECT_EQ(plan.status, 301);
    EXPECT_TRUE(has_header(plan, "Location: /sub%20dir/"));
    EXPECT_EQ(get("/sub%20dir/").status, 200);
}

TEST_F(StaticFilesTest, RedirectIsNeverToAnotherHost) {
    ResponsePlan plan = get("//docs");
    EXPECT_EQ(plan.status, 301);
    EXPECT_TRUE(has_header(plan, "Location: /docs/"));
    ResponsePlan spaced = get("//sub%20dir?x");
    EXPECT_EQ(spaced.status, 301);
    EXPECT_TRUE(has_header(spaced, "Location: /sub%20dir/?x"));
}

TEST_F(StaticFilesTest, RedirectForBackslashIsNormalized) {
    // The parser may refuse a raw backslash; build the head directly to test the handler alone.
    fs::create_directory(root_ / "\\docs");
    proto::RequestHead head;
    head.method = "GET";
    head.target = "/\\docs";
    head.path_and_query = head.target;
    ResponsePlan plan = files_->serve(head);
    EXPECT_EQ(plan.status, 301);
    EXPECT_TRUE(has_header(plan, "Location: /%5Cdocs/"));
}

TEST_F(StaticFilesTest, DirectoryServesIndex) {
    ResponsePlan plan = get("/docs/");
    EXPECT_EQ(plan.status, 200);
    EXPECT_TRUE(has_header(plan, "Content-Type: text/html; charset=utf-8"));
    EXPECT_EQ(file_bytes(plan), "<h1>docs</h1>\n");
}

TEST_F(StaticFilesTest, IndexFilesAreTriedInOrder) {
    ResponsePlan plan = get("/second/");
    EXPECT_EQ(plan.status, 200);
    EXPECT_EQ(file_bytes(plan), "<p>second</p>\n");
}

TEST_F(StaticFilesTest, RootDirectory) {
    write(root_ / "index.html", "root\n");
    ResponsePlan plan = get("/");
    EXPECT_EQ(plan.status, 200);
    EXPECT_EQ(file_bytes(plan), "root\n");
}

// Mode 0711: the index may be opened by name although the directory cannot be listed.
TEST_F(StaticFilesTest, SearchOnlyDirectory) {
    ResponsePlan index = get("/private/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(file_bytes(index), "searchable only\n");
    ResponsePlan redirect = get("/private");
    EXPECT_EQ(redirect.status, 301);
    EXPECT_TRUE(has_header(redirect, "Location: /private/"));
}

TEST_F(StaticFilesTest, DirectoryWithoutIndexIs403) {
    EXPECT_EQ(get("/empty/").status, 403);
    EXPECT_EQ(get("/").status, 403);
}

// --- conditional requests ---------------------------------------------------------------------

TEST_F(StaticFilesTest, IfNoneMatchGives304) {
    ResponsePlan plan = get("/data.bin", std::string("If-None-Match: ") + kDataTag + "\r\n");
    EXPECT_EQ(plan.status, 304);
    EXPECT_TRUE(plan.omit_body);
    EXPECT_EQ(plan.length, 0u);
    EXPECT_EQ(plan.file, nullptr);
    EXPECT_TRUE(plan.body.empty());
    EXPECT_TRUE(has_header(plan, std::string("ETag: ") + kDataTag));
    EXPECT_TRUE(has_header(plan, std::string("Last-Modified: ") + kLastModified));
    EXPECT_FALSE(has_header_named(plan, "Content-Type"));
}

TEST_F(StaticFilesTest, IfNoneMatchForms) {
    struct Case {
        std::string value;
        int status;
    };
    for (const Case& c :
         {Case{std::string("\"other\", ") + kDataTag, 304}, Case{std::string("W/") + kDataTag, 304},
          Case{"*", 304}, Case{"\"other\"", 200}, Case{"\"5e0be100-75bcd15-b\"", 200}}) {
        EXPECT_EQ(get("/data.bin", "If-None-Match: " + c.value + "\r\n").status, c.status)
            << c.value;
    }
}

TEST_F(StaticFilesTest, IfNoneMatchOnSecondFieldLine) {
    ResponsePlan plan = get(
        "/data.bin", std::string("If-None-Match: \"a\"\r\nIf-None-Match: ") + kDataTag + "\r\n");
    EXPECT_EQ(plan.status, 304);
}

TEST_F(StaticFilesTest, HeadWithIfNoneMatchGives304) {
    ResponsePlan plan =
        serve("HEAD", "/data.bin", std::string("If-None-Match: ") + kDataTag + "\r\n");
    EXPECT_EQ(plan.status, 304);
    EXPECT_TRUE(plan.omit_body);
}

TEST_F(StaticFilesTest, IfModifiedSince) {
    EXPECT_EQ(get("/data.bin", std::string("If-Modified-Since: ") + kLastModified + "\r\n").status,
              304);
    EXPECT_EQ(get("/data.bin", "If-Modified-Since: Thu, 02 Jan 2020 00:00:00 GMT\r\n").status, 304);
    // The file changed after the client's copy.
    EXPECT_EQ(get("/data.bin", "If-Modified-Since: Tue, 31 Dec 2019 23:59:59 GMT\r\n").status, 200);
    EXPECT_EQ(get("/data.bin", "If-Modified-Since: not a date\r\n").status, 200);
}

TEST_F(StaticFilesTest, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
    ResponsePlan plan = get("/data.bin", std::string("If-None-Match: \"other\"\r\n") +
                                             "If-Modified-Since: " + kLastModified + "\r\n");
    EXPECT_EQ(plan.status, 200);
}

TEST_F(StaticFilesTest, IfMatch) {
    EXPECT_EQ(get("/data.bin", "If-Match: \"other\"\r\n").status, 412);
    EXPECT_EQ(get("/data.bin", std::string("If-Match: W/") + kDataTag + "\r\n").status, 412);
    EXPECT_EQ(get("/data.bin", std::string("If-Match: ") + kDataTag + "\r\n").status, 200);
    EXPECT_EQ(get("/data.bin", "If-Match: *\r\n").status, 200);
}

TEST_F(StaticFilesTest, IfMatchFailureBeatsIfNoneMatch) {
    ResponsePlan plan =
        get("/data.bin", std::string("If-Match: \"other\"\r\nIf-None-Match: ") + kDataTag + "\r\n");
    EXPECT_EQ(plan.status, 412);
}

TEST_F(StaticFilesTest, IfUnmodifiedSince) {
    EXPECT_EQ(get("/data.bin", "If-Unmodified-Since: Tue, 31 Dec 2019 00:00:00 GMT\r\n").status,
              412);
    EXPECT_EQ(
        get("/data.bin", std::string("If-Unmodified-Since: ") + kLastModified + "\r\n").status,
        200);
    // Ignored when If-Match is present.
    EXPECT_EQ(get("/data.bin", std::string("If-Match: ") + kDataTag +
                                   "\r\nIf-Unmodified-Since: Tue, 31 Dec 2019 00:00:00 GMT\r\n")
                  .status,
              200);
}

TEST_F(StaticFilesTest, FutureModificationTimeIsClampedToNow) {
    const timespec future[2] = {{0, UTIME_OMIT}, {time(nullptr) + 86400, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (root_ / "hello.txt").c_str(), future, 0), 0);
    ResponsePlan plan = get("/hello.txt");
    EXPECT_EQ(plan.status, 200);
    time_t before = time(nullptr);
    EXPECT_TRUE(has_header(plan, "Last-Modified: " + format_http_date(before)) ||
                has_header(plan, "Last-Modified: " + format_http_date(before - 1)))
        << plan.headers;
}

// --- ranges -----------------------------------------------------------------------------------

struct RangeCase {
    const char* name;
    const char* range;
    std::uint64_t offset;
    std::uint64_t length;
    const char* content_range;
};

TEST_F(StaticFilesTest, SingleRangesGive206) {
    for (const RangeCase& c : {RangeCase{"closed", "bytes=2-5", 2, 4, "bytes 2-5/10"},
                               RangeCase{"suffix", "bytes=-3", 7, 3, "bytes 7-9/10"},
                               RangeCase{"open-ended", "bytes=4-", 4, 6, "bytes 4-9/10"},
                               RangeCase{"past the end", "bytes=8-100", 8, 2, "bytes 8-9/10"},
                               RangeCase{"one byte", "bytes=0-0", 0, 1, "bytes 0-0/10"}}) {
        ResponsePlan plan = get("/data.bin", std::string("Range: ") + c.range + "\r\n");
        EXPECT_EQ(plan.status, 206) << c.name;
        EXPECT_EQ(plan.offset, c.offset) << c.name;
        EXPECT_EQ(plan.length, c.length) << c.name;
        EXPECT_TRUE(has_header(plan, std::string("Content-Range: ") + c.content_range)) << c.name;
        EXPECT_TRUE(has_header(plan, std::string("ETag: ") + kDataTag)) << c.name;
        ASSERT_NE(plan.file, nullptr) << c.name;
    }
}

TEST_F(StaticFilesTest, RangeBytes) {
    ResponsePlan plan = get("/data.bin", "Range: bytes=3-6\r\n");
    EXPECT_EQ(file_bytes(plan), "3456");
}

TEST_F(StaticFilesTest, UnsatisfiableRangeGives416) {
    ResponsePlan plan = get("/data.bin", "Range: bytes=10-\r\n");
    EXPECT_EQ(plan.status, 416);
    EXPECT_TRUE(has_header(plan, "Content-Range: bytes */10"));
    EXPECT_EQ(plan.file, nullptr);
    EXPECT_EQ(plan.length, plan.body.size());
    EXPECT_FALSE(plan.body.empty());
}

TEST_F(StaticFilesTest, IgnoredRangesGive200) {
    for (const char* range : {"bytes=0-1,4-5", "items=0-1", "bytes=abc"}) {
        ResponsePlan plan = get("/data.bin", std::string("Range: ") + range + "\r\n");
        EXPECT_EQ(plan.status, 200) << range;
        EXPECT_EQ(plan.offset, 0u) << range;
        EXPECT_EQ(plan.length, 10u) << range;
        EXPECT_FALSE(has_header_named(plan, "Content-Range")) << range;
    }
}

TEST_F(StaticFilesTest, RangeIsForGetOnly) {
    ResponsePlan plan = serve("HEAD", "/data.bin", "Range: bytes=0-1\r\n");
    EXPECT_EQ(plan.status, 200);
    EXPECT_EQ(plan.length, 10u);
}

TEST_F(StaticFilesTest, IfRange) {
    struct Case {
        std::string if_range;
        int status;
    };
    for (const Case& c : {Case{kDataTag, 206}, Case{kLastModified, 206}, Case{"\"other\"", 200},
                          Case{std::string("W/") + kDataTag, 200},
                          Case{"Thu, 02 Jan 2020 00:00:00 GMT", 200}, Case{"garbage", 200}}) {
        ResponsePlan plan =
            get("/data.bin", "Range: bytes=0-1\r\nIf-Range: " + c.if_range + "\r\n");
        EXPECT_EQ(plan.status, c.status) << c.if_range;
    }
}

TEST_F(StaticFilesTest, NotModifiedBeatsRange) {
    ResponsePlan plan =
        get("/data.bin", std::string("Range: bytes=0-1\r\nIf-None-Match: ") + kDataTag + "\r\n");
    EXPECT_EQ(plan.status, 304);
}

// --- the file cache ---------------------------------------------------------------------------

// What the served plan holds now, from memory or the descriptor, as a response would send it.
std::string plan_bytes(const ResponsePlan& plan) {
    std::string bytes(plan.length, '\0');
    EXPECT_EQ(copy_file_bytes(*plan.file, plan.offset, plan.length, bytes.data()),
              static_cast<ssize_t>(plan.length));
    return bytes;
}

TEST_F(StaticFilesTest, ASecondRequestIsServedFromTheCache) {
    ResponsePlan first = get("/hello.txt");
    ResponsePlan second = get("/hello.txt");
    ASSERT_NE(first.file, nullptr);
    EXPECT_EQ(first.file, second.file);  // the same opened file, not a second open
    ASSERT_TRUE(second.file->content.has_value());
    EXPECT_EQ(plan_bytes(second), "hello, world\n");
    EXPECT_EQ(cache_.size(), 1u);
    // A directory's index is kept under the directory's path, apart from the file itself.
    ResponsePlan index = get("/docs/");
    EXPECT_EQ(get("/docs/").file, index.file);
    EXPECT_NE(get("/docs/index.html").file, index.file);
    EXPECT_EQ(plan_bytes(get("/docs/")), "<h1>docs</h1>\n");
}

TEST_F(StaticFilesTest, AFileWrittenInPlaceIsServedAfreshAtOnce) {
    ResponsePlan before = get("/hello.txt");
    // Appending changes the size; the very next request must carry the new length and bytes.
    std::ofstream(root_ / "hello.txt", std::ios::binary | std::ios::app) << "more\n";
    ResponsePlan after = get("/hello.txt");
    EXPECT_NE(after.file, before.file);
    EXPECT_EQ(plan_bytes(after), "hello, world\nmore\n");
    // Same size, new bytes: the rewrite moves the modification time.
    write(root_ / "hello.txt", "HELLO, WORLD\nMORE\n");
    const timespec times[2] = {{kMtime + 60, 0}, {kMtime + 60, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, (root_ / "hello.txt").c_str(), times, 0), 0);
    EXPECT_EQ(plan_bytes(get("/hello.txt")), "HELLO, WORLD\nMORE\n");
}

TEST_F(StaticFilesTest, AFileReplacedOrRemovedIsSeenAtOnce) {
    EXPECT_EQ(plan_bytes(get("/hello.txt")), "hello, world\n");
    // A deploy that writes a new file and renames it over the old one.
    write(root_ / "hello.txt.new", "replaced\n");
    fs::rename(root_ / "hello.txt.new", root_ / "hello.txt");
    EXPECT_EQ(plan_bytes(get("/hello.txt")), "replaced\n");
    fs::remove(root_ / "hello.txt");
    EXPECT_EQ(get("/hello.txt").status, 404);
    EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(StaticFilesTest, AChangedModeIsSeenAtOnce) {
    ResponsePlan before = get("/data.bin");
    fs::permissions(root_ / "data.bin", fs::perms::owner_read);
    ResponsePlan after = get("/data.bin");
    EXPECT_NE(after.file, before.file);  // opened again, so the permission is checked again
}

TEST_F(StaticFilesTest, ASwitchedSymlinkIsSeenWithinTheRecheckInterval) {
    fs::create_directory(root_ / "release-1");
    fs::create_directory(root_ / "release-2");
    write(root_ / "release-1" / "app.txt", "one\n");
    write(root_ / "release-2" / "app.txt", "two\n");
    fs::create_directory_symlink("release-1", root_ / "current");
    EXPECT_EQ(plan_bytes(get("/current/app.txt")), "one\n");
    fs::create_directory_symlink("release-2", root_ / "current.new");
    fs::rename(root_ / "current.new", root_ / "current");
    // The old file lives on and is unchanged, so only the recheck finds the new one.
    usleep(static_cast<useconds_t>(FileCache::kRecheckMs * 1000 + 50'000));
    EXPECT_EQ(plan_bytes(get("/current/app.txt")), "two\n");
}

TEST_F(StaticFilesTest, ALargeFileKeepsNoCopyInMemory) {
    write(root_ / "large.bin", std::string(kInlineFileBytes + 1, 'x'));
    ResponsePlan plan = get("/large.bin");
    ASSERT_NE(plan.file, nullptr);
    EXPECT_FALSE(plan.file->content.has_value());
    EXPECT_EQ(plan_bytes(plan), std::string(kInlineFileBytes + 1, 'x'));
    EXPECT_EQ(get("/large.bin").file, plan.file);
}

TEST_F(StaticFilesTest, ErrorsAndRedirectsAreNotCached) {
    EXPECT_EQ(get("/missing.txt").status, 404);
    EXPECT_EQ(get("/docs").status, 301);
    EXPECT_EQ(get("/pipe").status, 403);
    EXPECT_EQ(cache_.size(), 0u);
    write(root_ / "missing.txt", "now here\n");
    EXPECT_EQ(get("/missing.txt").status, 200);
}

TEST_F(StaticFilesTest, EvictionNeverClosesAFileAResponseStillSends) {
    ResponsePlan plan = get("/hello.txt");
    cache_.on_tick(monotonic_ms() + FileCache::kRecheckMs);
    EXPECT_EQ(cache_.size(), 0u);
    EXPECT_EQ(file_bytes(plan), "hello, world\n");  // pread on the descriptor itself
}

SharedFile memory_file(std::size_t size) {
    int pipe_fds[2];
    EXPECT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
    close(pipe_fds[1]);
    auto file = std::make_shared<ServedFile>();
    file->fd = UniqueFd(pipe_fds[0]);
    file->content = std::string(size, 'c');
    return file;
}

TEST(FileCache, EntriesExpireAfterTheRecheckInterval) {
    FileCache cache;
    EXPECT_EQ(cache.next_tick(), kNever);
    SharedFile file = memory_file(10);
    // An entry whose descriptor fstat()s as when it was made.
    auto& writable = const_cast<ServedFile&>(*file);
    ASSERT_EQ(fstat(file->fd.get(), &writable.info), 0);
    cache.insert("a", file, 1000);
    EXPECT_EQ(cache.next_tick(), 1000 + FileCache::kRecheckMs);
    EXPECT_EQ(cache.find("a", 1000 + FileCache::kRecheckMs - 1), file);
    EXPECT_EQ(cache.find("a", 1000 + FileCache::kRecheckMs), nullptr);
    EXPECT_EQ(cache.size(), 0u);
    cache.insert("b", file, 5000);
    cache.on_tick(5000 + FileCache::kRecheckMs - 1);
    EXPECT_EQ(cache.size(), 1u);
    cache.on_tick(5000 + FileCache::kRecheckMs);
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.next_tick(), kNever);
}

TEST(FileCache, StaysWithinItsBounds) {
    FileCache cache;
    for (std::size_t i = 0; i < FileCache::kMaxEntries + 10; ++i)
        cache.insert("f" + std::to_string(i), memory_file(1), 0);
    EXPECT_LE(cache.size(), FileCache::kMaxEntries);
    FileCache by_bytes;
    std::size_t big = FileCache::kMaxContentBytes / 4 + 1;
    for (int i = 0; i < 8; ++i)
        by_bytes.insert("g" + std::to_string(i), memory_file(big), 0);
    EXPECT_LE(by_bytes.size(), 3u);
    std::size_t kept = by_bytes.size();
    by_bytes.insert("huge", memory_file(FileCache::kMaxContentBytes + 1), 0);
    EXPECT_EQ(by_bytes.size(), kept);  // never kept, and nothing else dropped for it
}

// --- error_response ---------------------------------------------------------------------------

TEST(ErrorResponse, CarriesExtraHeaders) {
    ResponsePlan plan = error_response(405, "Allow: GET, HEAD\r\n");
    EXPECT_EQ(plan.status, 405);
    EXPECT_EQ(plan.headers, "Content-Type: text/html; charset=utf-8\r\nAllow: GET, HEAD\r\n");
    EXPECT_EQ(plan.body,
              "<html><head><title>405 Method Not Allowed</title></head><body><h1>405 Method Not "
              "Allowed</h1></body></html>\n");
    EXPECT_EQ(plan.length, plan.body.size());
    EXPECT_FALSE(plan.omit_body);
}

}  // namespace
}  // namespace bulkhead::worker
