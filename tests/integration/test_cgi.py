"""CGI (RFC 3875): scripts in shell and Perl run as their own site, with the request's
meta-variables and nothing of the server's environment; bodies stream both ways; a script past
site.cgi.timeout is killed with its process group while the other site is served; broken
scripts give precise errors and a line in the site's error log."""

import os
import re
import threading
import time

import pytest

from cgi_support import (CGI_TIMEOUT_S, Client, arrivals, error_log, fetch, site_processes,
                         slow_download, start_handler_server, wait_for_error_log, wait_until)
from conftest import ALPHA_UID, BETA_UID, stop_and_check

SITES = {"alpha": ("alpha.test", ALPHA_UID), "beta": ("beta.test", BETA_UID)}
LANGUAGES = {"sh": ".cgi", "perl": ".pl"}


@pytest.fixture(scope="module")
def server():
    os.environ["BULKHEAD_SECRET"] = "x-must-not-leak"
    try:
        srv = start_handler_server()
    finally:
        os.environ.pop("BULKHEAD_SECRET", None)
    yield srv
    stop_and_check(srv)


def script(language: str, name: str) -> str:
    return f"/cgi-bin/{name}{LANGUAGES[language]}"


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_script_runs_as_its_site(server, language, site):
    host, uid = SITES[site]
    answer = fetch(server, host, script(language, "ids"))
    assert answer.status == 200, answer.text
    assert re.match(rf"uid={uid} gid={uid} pid=\d+", answer.text), answer.text


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_post_body_of_several_mib_round_trips(server, language, site):
    body = os.urandom(3 * 1024 * 1024 + 12345)
    answer = fetch(server, SITES[site][0], script(language, "echo"), method="POST", body=body,
                   headers=["Content-Type: application/octet-stream"], timeout=30)
    assert answer.status == 200
    assert len(answer.body) == len(body)
    assert answer.body == body


def test_chunked_request_body_streams_to_the_script(server):
    body = os.urandom(200_000)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7000]), body[i:i + 7000])
                      for i in range(0, len(body), 7000)) + b"0\r\n\r\n"
    answer = fetch(server, "alpha.test", "/cgi-bin/echo.cgi", method="POST", body=chunks,
                   headers=["Transfer-Encoding: chunked"])
    assert answer.status == 200
    assert answer.body == body


@pytest.mark.parametrize("language", LANGUAGES)
def test_streaming_response_arrives_incrementally(server, language):
    pieces = arrivals(server, "alpha.test", script(language, "stream"))
    data = b"".join(chunk for _, chunk in pieces)
    assert b"Transfer-Encoding: chunked" in data
    assert data.count(b"tick") == 4
    first_tick = next(t for t, chunk in pieces if b"tick 1" in chunk)
    last_tick = next(t for t, chunk in pieces if b"tick 4" in chunk)
    # The script sleeps 0.4 s between lines: had the answer been buffered, all would come at once.
    assert last_tick - first_tick >= 0.8, pieces


def sleeping_processes(uid: int, marker: str) -> list:
    return [(pid, cmd) for pid, cmd in site_processes(uid) if marker in cmd]


@pytest.mark.parametrize("language", LANGUAGES)
def test_timeout_kills_the_script_and_the_other_site_is_served(server, language):
    marker = "sleep 31" if language == "sh" else "sleep.pl"
    result = {}

    def slow_request():
        started = time.monotonic()
        result["answer"] = fetch(server, "alpha.test", script(language, "sleep"))
        result["took"] = time.monotonic() - started

    slow = threading.Thread(target=slow_request)
    slow.start()
    assert wait_until(lambda: sleeping_processes(ALPHA_UID, marker), 3), "the script never ran"
    # Meanwhile: the other site, and the same site, answer at once.
    for host in ("beta.test", "alpha.test"):
        started = time.monotonic()
        answer = fetch(server, host, script(language, "ids"))
        assert answer.status == 200
        assert time.monotonic() - started < 1.5
    slow.join(CGI_TIMEOUT_S + 10)
    assert not slow.is_alive()
    assert result["answer"].status == 504
    assert CGI_TIMEOUT_S - 0.5 <= result["took"] <= CGI_TIMEOUT_S + 5
    assert wait_until(lambda: not sleeping_processes(ALPHA_UID, marker), 3), \
        sleeping_processes(ALPHA_UID, marker)
    assert wait_for_error_log(server, "alpha", r"site\.cgi\.timeout\); killed its process group")


def test_a_slow_reader_is_not_counted_against_the_script_timeout(server):
    """site.cgi.timeout (2 s here) bounds the script's own time. A 6 MiB download that a slow
    client takes about three times as long to read must arrive whole: while the script waits
    for the client, its clock stands still."""
    head, body, took = slow_download(server, "/cgi-bin/big.cgi")
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert took > CGI_TIMEOUT_S, f"the client was not slow enough to test anything ({took:.1f} s)"
    assert len(body) == 6 * 1024 * 1024, f"cut off after {len(body)} bytes in {took:.1f} s"
    assert body.count(0) == len(body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_meta_variable_leaks_the_server_environment(server, language):
    answer = fetch(server, "alpha.test", script(language, "env") + "/extra/path?a=1&b=2",
                   headers=["X-Test: hello", "Proxy: http://evil.test/"])
    assert answer.status == 200
    env = dict(line.split("=", 1) for line in answer.text.splitlines() if "=" in line)
    assert "BULKHEAD_SECRET" not in answer.text
    assert "HTTP_PROXY" not in env
    assert env["HTTP_X_TEST"] == "hello"
    assert env["PATH_INFO"] == "/extra/path"
    assert env["QUERY_STRING"] == "a=1&b=2"
    assert env["SCRIPT_NAME"] == script(language, "env")
    assert env["SCRIPT_FILENAME"] == str(server.alpha_root) + script(language, "env")
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SERVER_NAME"] == "alpha.test"
    assert env["SERVER_PORT"] == str(server.port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    allowed = re.compile(r"(HTTP_[A-Z0-9_]+|GATEWAY_INTERFACE|SERVER_[A-Z]+|REMOTE_[A-Z]+|"
                         r"REQUEST_[A-Z]+|QUERY_STRING|DOCUMENT_ROOT|SCRIPT_[A-Z]+|PATH_INFO|"
                         r"PATH_TRANSLATED|REDIRECT_STATUS|CONTENT_[A-Z]+|PATH|"
                         r"PWD|SHLVL|_)$")  # the last three: set by the shell itself
    assert [name for name in env if not allowed.match(name)] == []


def test_missing_script_is_404(server):
    assert fetch(server, "alpha.test", "/cgi-bin/nope.cgi").status == 404
    assert fetch(server, "alpha.test", "/cgi-bin/nope.cgi/with/path").status == 404


def test_script_that_is_not_executable_is_403(server):
    assert fetch(server, "alpha.test", "/cgi-bin/not-executable.cgi").status == 403


def test_garbage_output_is_502_and_stderr_reaches_the_error_log(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/garbage.cgi")
    assert answer.status == 502
    line = wait_for_error_log(server, "alpha", r"cgi /cgi-bin/garbage\.cgi: .*502.*stderr-marker-garbage")
    assert line, error_log(server, "alpha")


def test_script_that_dies_without_output_is_502(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/silent.cgi")
    assert answer.status == 502
    assert wait_for_error_log(server, "alpha", r"cgi /cgi-bin/silent\.cgi: no output.*stderr-marker-silent")


def test_status_header_sets_the_status(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/status.cgi")
    assert answer.status == 404
    assert answer.reason == "Not Here"
    assert answer.header("X-Script") == "yes"
    assert answer.text == "gone\n"


def test_local_redirect_runs_the_named_script(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/local-redirect.cgi")
    assert answer.status == 200
    assert answer.text.startswith(f"uid={ALPHA_UID}")
    answer = fetch(server, "alpha.test", "/cgi-bin/static-redirect.cgi")
    assert answer.status == 200
    assert answer.text == "static target\n"


def test_client_redirect_is_302(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/client-redirect.cgi")
    assert answer.status == 302
    assert answer.header("Location") == "http://example.test/elsewhere"


def test_content_length_from_the_script_is_kept(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/length.cgi")
    assert answer.framing == "length"
    assert answer.body == b"fixed\n"


def test_http10_client_gets_a_close_delimited_answer(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/ids.cgi", version="HTTP/1.0")
    assert answer.status == 200
    assert answer.framing == "close"
    assert answer.text.startswith(f"uid={ALPHA_UID}")


def test_head_request_has_no_body(server):
    with Client(server) as client:
        answer = client.request("HEAD", "alpha.test", "/cgi-bin/ids.cgi")
        assert answer.status == 200
        # The connection stays usable: the next answer starts where it should.
        answer = client.request("GET", "alpha.test", "/cgi-bin/ids.cgi")
        assert answer.text.startswith(f"uid={ALPHA_UID}")


def test_keep_alive_serves_several_scripts_and_files(server):
    with Client(server) as client:
        for target in ("/cgi-bin/ids.cgi", "/target.txt", "/cgi-bin/ids.pl", "/cgi-bin/length.cgi"):
            answer = client.request("GET", "alpha.test", target)
            assert answer.status == 200, target
            assert not answer.closed


def test_pipelined_requests_after_a_script(server):
    with Client(server) as client:
        client.send("GET", "alpha.test", "/cgi-bin/ids.cgi")
        client.send("POST", "alpha.test", "/cgi-bin/echo.cgi", body=b"pipelined body")
        client.send("GET", "alpha.test", "/target.txt")
        assert client.answer().text.startswith(f"uid={ALPHA_UID}")
        assert client.answer().body == b"pipelined body"
        assert client.answer().text == "static target\n"


def test_script_that_ignores_its_body_still_answers(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/noread.cgi", method="POST",
                   body=os.urandom(2 * 1024 * 1024), timeout=20)
    assert answer.status == 200
    assert answer.text == "ignored your body\n"


def test_expect_100_continue(server):
    with Client(server) as client:
        client.send("POST", "alpha.test", "/cgi-bin/echo.cgi",
                    headers=["Content-Length: 5", "Expect: 100-continue"])
        client.sock.settimeout(5)
        interim = client.sock.recv(100)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        client.buffer = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        client.sock.sendall(b"hello")
        assert client.answer().body == b"hello"


def test_processes_a_script_leaves_behind_are_killed(server):
    answer = fetch(server, "alpha.test", "/cgi-bin/background.cgi")
    assert answer.status == 200
    assert answer.text == "left a child\n"
    assert wait_until(lambda: not [p for p in site_processes(ALPHA_UID) if "sleep 34" in p[1]], 3)


def test_request_body_over_the_limit_is_413(make_server):
    from cgi_support import make_handler_server
    srv = make_handler_server(make_server, alpha={"max_body_bytes": "64K"})
    answer = fetch(srv, "alpha.test", "/cgi-bin/echo.cgi", method="POST", body=b"x" * 100_000)
    assert answer.status == 413
