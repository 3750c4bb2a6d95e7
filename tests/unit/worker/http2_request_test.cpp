// An HTTP/2 request's fields turned into the Request and RequestHead HTTP/1.1 produces.

#include "worker/http2_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulkhead::worker::http2 {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Built {
    int status = 0;
    Request request;
};

Built build(const Fields& fields, std::size_t max_bytes = 16 * 1024, std::size_t max_fields = 100) {
    RequestCollector collector(max_bytes, max_fields);
    for (const auto& [name, value] : fields)
        collector.add(name, value);
    Built built;
    built.status = collector.build(built.request);
    return built;
}

const Fields kGet = {{":method", "GET"},
                     {":scheme", "https"},
                     {":authority", "Alpha.Test:443"},
                     {":path", "/a/b?x=1"},
                     {"user-agent", "test"}};

TEST(Http2Request, PseudoHeadersBecomeTheRequest) {
    Built built = build(kGet);
    ASSERT_EQ(built.status, 0);
    const Request& request = built.request;
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/a/b?x=1");
    EXPECT_EQ(request.path_and_query, "/a/b?x=1");
    EXPECT_EQ(request.host, "alpha.test");
    ASSERT_NE(request.field("Host"), nullptr);
    EXPECT_EQ(*request.field("Host"), "Alpha.Test:443");  // HTTP_HOST for scripts
    EXPECT_EQ(*request.field("User-Agent"), "test");
    EXPECT_FALSE(request.content_length);
    EXPECT_FALSE(request.has_body());
}

TEST(Http2Request, HostFieldServesWithoutAuthority) {
    Built built =
        build({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "beta.test"}});
    ASSERT_EQ(built.status, 0);
    EXPECT_EQ(built.request.host, "beta.test");
    EXPECT_EQ(built.request.fields.size(), 1u);
}

struct StatusCase {
    const char* name;
    Fields fields;
    int status;
};

class Http2RequestStatus : public ::testing::TestWithParam<StatusCase> {};

TEST_P(Http2RequestStatus, Answers) {
    EXPECT_EQ(build(GetParam().fields).status, GetParam().status) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Http2RequestStatus,
    ::testing::Values(
        StatusCase{"no_authority", {{":method", "GET"}, {":path", "/"}}, 400},
        StatusCase{
            "bad_authority", {{":method", "GET"}, {":path", "/"}, {":authority", "a b"}}, 400},
        StatusCase{
            "userinfo", {{":method", "GET"}, {":path", "/"}, {":authority", "u@a.test"}}, 400},
        StatusCase{
            "host_differs",
            {{":method", "GET"}, {":path", "/"}, {":authority", "a.test"}, {"host", "b.test"}},
            400},
        StatusCase{
            "host_same_origin",
            {{":method", "GET"}, {":path", "/"}, {":authority", "a.test"}, {"host", "A.test."}},
            0}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Http2Request, CookiesAreJoined) {
    Fields fields = kGet;
    fields.push_back({"cookie", "a=1"});
    fields.push_back({"accept", "*/*"});
    fields.push_back({"cookie", "b=2"});
    Built built = build(fields);
    ASSERT_EQ(built.status, 0);
    ASSERT_NE(built.request.field("cookie"), nullptr);
    EXPECT_EQ(*built.request.field("cookie"), "a=1; b=2");
}

TEST(Http2Request, ContentLength) {
    Fields fields = kGet;
    fields[0].second = "POST";
    fields.push_back({"content-length", "1234"});
    Built built = build(fields);
    ASSERT_EQ(built.status, 0);
    EXPECT_EQ(built.request.content_length, 1234u);
    EXPECT_TRUE(built.request.has_body());
}

TEST(Http2Request, TooManyBytesIs431AndKeepsNothingMore) {
    RequestCollector collector(1024, 100);
    for (const auto& [name, value] : kGet)
        collector.add(name, value);
    for (int i = 0; i < 10000; ++i)  // an HPACK bomb: small on the wire, large decoded
        collector.add("x-bomb", std::string(1000, 'b'));
    EXPECT_TRUE(collector.too_large());
    Request request;
    EXPECT_EQ(collector.build(request), 431);
}

TEST(Http2Request, TooManyFieldsIs431) {
    Fields fields = kGet;
    for (int i = 0; i < 101; ++i)
        fields.push_back({"x-" + std::to_string(i), "1"});
    EXPECT_EQ(build(fields).status, 431);
}

TEST(Http2Request, HeadViewForTheRouter) {
    Built built = build(kGet);
    ASSERT_EQ(built.status, 0);
    proto::RequestHead head;
    built.request.view_as_head(head);
    EXPECT_EQ(head.method, "GET");
    EXPECT_EQ(head.path_and_query, "/a/b?x=1");
    EXPECT_EQ(head.target_form, proto::TargetForm::origin);
    ASSERT_TRUE(head.host);
    EXPECT_EQ(*head.host, "Alpha.Test:443");
    EXPECT_EQ(head.field("USER-AGENT"), "test");
}

TEST(Http2Request, AsteriskTarget) {
    Built built = build({{":method", "OPTIONS"}, {":path", "*"}, {":authority", "a.test"}});
    ASSERT_EQ(built.status, 0);
    proto::RequestHead head;
    built.request.view_as_head(head);
    EXPECT_EQ(head.target_form, proto::TargetForm::asterisk);
    EXPECT_EQ(head.path_and_query, "");
}

TEST(Http2Request, LogLineHasNoControlBytes) {
    Request request;
    request.method = "GET";
    request.target = "/a\x01\x7f";
    EXPECT_EQ(request_line(request), "GET /a?? HTTP/2.0");
}

}  // namespace
}  // namespace bulkhead::worker::http2
