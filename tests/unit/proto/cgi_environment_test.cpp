// CGI meta-variables (RFC 3875 4.1): made from the request only.

#include "proto/cgi_environment.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace bulkhead::proto {
namespace {

std::map<std::string, std::string> as_map(const MetaVariables& variables) {
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : variables) {
        EXPECT_TRUE(out.emplace(name, value).second) << "twice: " << name;
    }
    return out;
}

CgiRequest sample(std::span<const HeaderField> fields) {
    CgiRequest request;
    request.method = "POST";
    request.request_uri = "/app.cgi/a%20b?x=1";
    request.query = "x=1";
    request.script_name = "/app.cgi";
    request.path_info = "/a b";
    request.document_root = "/srv/alpha";
    request.script_filename = "/srv/alpha/app.cgi";
    request.server_name = "alpha.test";
    request.server_protocol = "HTTP/1.1";
    request.server_software = "bulkhead";
    request.remote_addr = "192.0.2.1";
    request.remote_port = 40000;
    request.server_addr = "192.0.2.2";
    request.server_port = 8080;
    request.content_length = 11;
    request.fields = fields;
    return request;
}

TEST(CgiEnvironment, StandardVariables) {
    HeaderField fields[] = {{"Host", "alpha.test:8080"}, {"Content-Type", "text/plain"}};
    auto env = as_map(cgi_meta_variables(sample(fields)));
    EXPECT_EQ(env["GATEWAY_INTERFACE"], "CGI/1.1");
    EXPECT_EQ(env["REQUEST_METHOD"], "POST");
    EXPECT_EQ(env["QUERY_STRING"], "x=1");
    EXPECT_EQ(env["SCRIPT_NAME"], "/app.cgi");
    EXPECT_EQ(env["PATH_INFO"], "/a b");
    EXPECT_EQ(env["PATH_TRANSLATED"], "/srv/alpha/a b");
    EXPECT_EQ(env["SCRIPT_FILENAME"], "/srv/alpha/app.cgi");
    EXPECT_EQ(env["SERVER_NAME"], "alpha.test");
    EXPECT_EQ(env["SERVER_PORT"], "8080");
    EXPECT_EQ(env["REMOTE_ADDR"], "192.0.2.1");
    EXPECT_EQ(env["REMOTE_PORT"], "40000");
    EXPECT_EQ(env["CONTENT_LENGTH"], "11");
    EXPECT_EQ(env["CONTENT_TYPE"], "text/plain");
    EXPECT_EQ(env["HTTP_HOST"], "alpha.test:8080");
    EXPECT_EQ(env["REQUEST_URI"], "/app.cgi/a%20b?x=1");
    EXPECT_EQ(env["REQUEST_SCHEME"], "http");
    EXPECT_EQ(env.count("HTTPS"), 0u);
    EXPECT_EQ(env.count("HTTP_CONTENT_TYPE"), 0u);
}

TEST(CgiEnvironment, HttpsAndNoBody) {
    CgiRequest request = sample({});
    request.https = true;
    request.content_length.reset();
    request.path_info = "";
    auto env = as_map(cgi_meta_variables(request));
    EXPECT_EQ(env["HTTPS"], "on");
    EXPECT_EQ(env["REQUEST_SCHEME"], "https");
    EXPECT_EQ(env.count("CONTENT_LENGTH"), 0u);
    EXPECT_EQ(env.count("CONTENT_TYPE"), 0u);
    EXPECT_EQ(env.count("PATH_TRANSLATED"), 0u);
}

TEST(CgiEnvironment, RepeatedFieldsAreJoined) {
    HeaderField fields[] = {
        {"Accept", "a/b"}, {"Cookie", "a=1"}, {"accept", "c/d"}, {"Cookie", "b=2"}};
    auto env = as_map(cgi_meta_variables(sample(fields)));
    EXPECT_EQ(env["HTTP_ACCEPT"], "a/b, c/d");
    EXPECT_EQ(env["HTTP_COOKIE"], "a=1; b=2");
}

// Fields that would forge or confuse a variable never pass.
TEST(CgiEnvironment, DangerousFieldsAreDropped) {
    HeaderField fields[] = {{"Proxy", "http://evil/"},        {"X_Forwarded_For", "1.2.3.4"},
                            {"Content-Length", "999"},        {"Transfer-Encoding", "chunked"},
                            {"X-Forwarded-For", "192.0.2.9"}, {"X.Dot", "1"}};
    auto env = as_map(cgi_meta_variables(sample(fields)));
    EXPECT_EQ(env.count("HTTP_PROXY"), 0u);
    EXPECT_EQ(env["HTTP_X_FORWARDED_FOR"], "192.0.2.9");
    EXPECT_EQ(env.count("HTTP_CONTENT_LENGTH"), 0u);
    EXPECT_EQ(env.count("HTTP_TRANSFER_ENCODING"), 0u);
    EXPECT_EQ(env["CONTENT_LENGTH"], "11");
    for (const auto& [name, value] : env) {
        EXPECT_EQ(name.find('.'), std::string::npos) << name;
    }
}

TEST(CgiEnvironment, VariableNames) {
    EXPECT_EQ(http_variable_name("user-agent"), "HTTP_USER_AGENT");
    EXPECT_EQ(http_variable_name("X-1"), "HTTP_X_1");
    EXPECT_EQ(http_variable_name("x_y"), std::nullopt);
    EXPECT_EQ(http_variable_name("PROXY"), std::nullopt);
    EXPECT_EQ(http_variable_name(""), std::nullopt);
}

}  // namespace
}  // namespace bulkhead::proto
