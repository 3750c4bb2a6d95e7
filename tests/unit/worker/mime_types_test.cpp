#include "worker/mime_types.hpp"

#include <gtest/gtest.h>

namespace bulkhead::worker {
namespace {

constexpr std::string_view kSample =
    "# a comment line\n"
    "\n"
    "text/html\t\t\thtml htm\n"
    "image/png\t\t\tPNG   # trailing comment\n"
    "application/json\t\tjson\n"
    "image/svg+xml\t\t\tsvg svgz\n"
    "application/x-sh\t\tsh\n"
    "text/x-sh\t\t\tsh\n"
    "application/vnd.only-type\n"
    "application/x-custom\t\tcss\r\n"
    "   text/plain   txt text\n";

TEST(MimeTypes, TypesFromText) {
    MimeTypes types = MimeTypes::from_text(std::string(kSample));
    EXPECT_EQ(types.content_type("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(types.content_type("a/b/page.HTM"), "text/html; charset=utf-8");
    EXPECT_EQ(types.content_type("logo.png"), "image/png");
    EXPECT_EQ(types.content_type("LOGO.PnG"), "image/png");
    EXPECT_EQ(types.content_type("notes.text"), "text/plain; charset=utf-8");
}

TEST(MimeTypes, CharsetForTextualTypes) {
    MimeTypes types = MimeTypes::from_text(std::string(kSample));
    EXPECT_EQ(types.content_type("data.json"), "application/json; charset=utf-8");
    EXPECT_EQ(types.content_type("icon.svg"), "image/svg+xml; charset=utf-8");
    EXPECT_EQ(types.content_type("app.js"), "text/javascript; charset=utf-8");  // built in
    EXPECT_EQ(types.content_type("font.woff2"), "font/woff2");
}

TEST(MimeTypes, FirstLineWins) {
    MimeTypes types = MimeTypes::from_text(std::string(kSample));
    EXPECT_EQ(types.content_type("run.sh"), "application/x-sh");
}

TEST(MimeTypes, FileWinsOverBuiltIn) {
    MimeTypes types = MimeTypes::from_text(std::string(kSample));
    EXPECT_EQ(types.content_type("style.css"), "application/x-custom");
}

TEST(MimeTypes, UnknownIsOctetStream) {
    MimeTypes types = MimeTypes::from_text(std::string(kSample));
    EXPECT_EQ(types.content_type("archive.xyz"), "application/octet-stream");
    EXPECT_EQ(types.content_type("README"), "application/octet-stream");
    EXPECT_EQ(types.content_type("trailing."), "application/octet-stream");
    EXPECT_EQ(types.content_type("dir.html/file"), "application/octet-stream");
    EXPECT_EQ(types.content_type(""), "application/octet-stream");
}

TEST(MimeTypes, LastDotOfLastSegment) {
    MimeTypes types = MimeTypes::from_text(std::string(kSample));
    EXPECT_EQ(types.content_type("dir.png/archive.tar.html"), "text/html; charset=utf-8");
}

TEST(MimeTypes, BuiltInDefaultsWithoutFile) {
    MimeTypes types = MimeTypes::load("/nonexistent/mime.types");
    struct Case {
        const char* name;
        const char* type;
    };
    for (Case c :
         {Case{"a.html", "text/html; charset=utf-8"}, Case{"a.css", "text/css; charset=utf-8"},
          Case{"a.mjs", "text/javascript; charset=utf-8"},
          Case{"a.json", "application/json; charset=utf-8"},
          Case{"a.txt", "text/plain; charset=utf-8"}, Case{"a.xml", "application/xml"},
          Case{"a.svg", "image/svg+xml; charset=utf-8"}, Case{"a.jpeg", "image/jpeg"},
          Case{"a.jpg", "image/jpeg"}, Case{"a.gif", "image/gif"}, Case{"a.webp", "image/webp"},
          Case{"a.woff", "font/woff"}, Case{"a.pdf", "application/pdf"},
          Case{"a.wasm", "application/wasm"}}) {
        EXPECT_EQ(types.content_type(c.name), c.type) << c.name;
    }
}

TEST(MimeTypes, SystemFile) {
    MimeTypes types = MimeTypes::load();
    EXPECT_EQ(types.content_type("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(types.content_type("photo.jpg"), "image/jpeg");
    EXPECT_EQ(types.content_type("unknown.zzqq"), "application/octet-stream");
}

TEST(MimeTypes, RejectsControlCharactersInTypes) {
    MimeTypes types = MimeTypes::from_text("text/ht\x01ml bad\n");
    EXPECT_EQ(types.content_type("x.bad"), "application/octet-stream");
}

}  // namespace
}  // namespace bulkhead::worker
