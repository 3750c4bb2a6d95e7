"""HTTP/1.x behaviour: keep-alive, pipelining, malformed input, methods, validators, ranges,
bodies, timeouts."""

import email.utils
import socket
import threading
import time

import pytest

from conftest import (BIG_FILE_SIZE, Conn, big_file_content, parse_one, parse_responses,
                      recv_all, request_bytes)

ALPHA_BODY = "<h1>alpha</h1>\n"
BETA_BODY = "<h1>beta</h1>\n"


# ---------------------------------------------------------------------------------------------
# keep-alive and pipelining


def test_keep_alive_host_switch_alpha_beta_alpha_on_one_connection(server):
    with Conn(server) as conn:
        for host, body in (("alpha.test", ALPHA_BODY), ("beta.test", BETA_BODY),
                           ("alpha.test", ALPHA_BODY), ("beta.test", BETA_BODY)):
            response = conn.request(host)
            assert response.status == 200, host
            assert response.text == body, host
            assert response.header("Connection") != "close"


def test_pipelined_requests_same_host_answered_in_order(server):
    targets = ["/", "/sub/page.txt", "/style.css", "/missing", "/sub/"]
    data = b"".join(request_bytes("alpha.test", t) for t in targets)
    data += request_bytes("alpha.test", "/data.csv", headers=["Connection: close"])
    reply = server.raw(data)
    assert reply.closed
    responses = parse_responses(reply)
    assert [r.status for r in responses] == [200, 200, 200, 404, 200, 200]
    assert responses[0].text == ALPHA_BODY
    assert responses[1].text == "alpha sub page\n"
    assert responses[2].text == "body { color: red }\n"
    assert responses[4].text == "<p>alpha sub index</p>\n"
    assert responses[5].text == "a,b\n1,2\n"


def test_pipelined_requests_mixed_hosts_answered_in_order(server):
    hosts = ["alpha.test", "beta.test", "beta.test", "x.alpha.test", "alpha.test", "beta.test"]
    data = b"".join(request_bytes(h) for h in hosts[:-1])
    data += request_bytes(hosts[-1], headers=["Connection: close"])
    reply = server.raw(data, timeout=5)
    assert reply.closed
    responses = parse_responses(reply)
    assert [r.status for r in responses] == [200] * len(hosts)
    expected = [BETA_BODY if h.startswith("beta") else ALPHA_BODY for h in hosts]
    assert [r.text for r in responses] == expected


def test_pipelined_head_and_get_frame_correctly(server):
    data = (request_bytes("alpha.test", "/big.bin", method="HEAD")
            + request_bytes("alpha.test", "/sub/page.txt", headers=["Connection: close"]))
    reply = server.raw(data)
    responses = parse_responses(reply, head_requests=(0,))
    assert [r.status for r in responses] == [200, 200]
    assert responses[0].header("Content-Length") == str(BIG_FILE_SIZE)
    assert responses[1].text == "alpha sub page\n"


def test_http10_request_closes_the_connection(server):
    reply = server.raw(request_bytes("alpha.test", version="HTTP/1.0"))
    assert reply.closed
    response = parse_one(reply)
    assert response.status == 200 and response.text == ALPHA_BODY


def test_http10_keep_alive_request_keeps_the_connection_open(server):
    with Conn(server) as conn:
        response = conn.request("alpha.test", version="HTTP/1.0",
                                headers=["Connection: keep-alive"])
        assert response.status == 200 and response.text == ALPHA_BODY
        assert response.header("Connection").lower() == "keep-alive"
        assert not conn.closed_by_peer(wait=0.5)
        response = conn.request("beta.test", version="HTTP/1.0",
                                headers=["Connection: keep-alive"])
        assert response.status == 200 and response.text == BETA_BODY
        response = conn.request("alpha.test", version="HTTP/1.0")
        assert response.status == 200
        assert conn.closed_by_peer()


def test_http11_connection_close_closes_after_response(server):
    with Conn(server) as conn:
        response = conn.request("alpha.test", headers=["Connection: close"])
        assert response.status == 200
        assert response.header("Connection") == "close"
        assert conn.closed_by_peer()


# ---------------------------------------------------------------------------------------------
# malformed input: a precise status, then the connection is closed

MALFORMED = [
    ("garbage_request_line", b"this is not http at all\r\n\r\n", 400),
    ("single_word_request_line", b"GARBAGE\r\n\r\n", 400),
    ("malformed_version", b"GET / HTTX/1.1\r\nHost: alpha.test\r\n\r\n", 400),
    ("garbage_binary", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400),
    ("bare_lf_line_endings", b"GET / HTTP/1.1\nHost: alpha.test\n\n", 400),
    ("obs_fold", b"GET / HTTP/1.1\r\nHost: alpha.test\r\nX-Folded: a\r\n b\r\n\r\n", 400),
    ("content_length_and_transfer_encoding",
     b"GET / HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two_different_content_lengths",
     b"GET / HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
     b"hello!", 400),
    ("header_of_20_kib",
     b"GET / HTTP/1.1\r\nHost: alpha.test\r\nX-Big: " + b"a" * (20 * 1024) + b"\r\n\r\n", 431),
    ("target_of_10_kib", b"GET /" + b"a" * (10 * 1024) + b" HTTP/1.1\r\nHost: alpha.test\r\n\r\n",
     414),
    ("http_2_0_in_a_1_x_request_line", b"GET / HTTP/2.0\r\nHost: alpha.test\r\n\r\n", 505),
    ("too_many_header_fields",
     b"GET / HTTP/1.1\r\nHost: alpha.test\r\n" + b"".join(b"X-F%d: 1\r\n" % i for i in range(200))
     + b"\r\n", 431),
    ("http11_without_host", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    ("two_host_headers", b"GET / HTTP/1.1\r\nHost: alpha.test\r\nHost: beta.test\r\n\r\n", 400),
    ("space_before_colon", b"GET / HTTP/1.1\r\nHost : alpha.test\r\n\r\n", 400),
    ("negative_content_length", b"GET / HTTP/1.1\r\nHost: alpha.test\r\nContent-Length: -1\r\n\r\n",
     400),
    ("unknown_transfer_coding",
     b"GET / HTTP/1.1\r\nHost: alpha.test\r\nTransfer-Encoding: frobnicate\r\n\r\n", 501),
]


@pytest.mark.parametrize("name, data, status", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request_on_new_connection_gets_status_and_close(server, name, data, status):
    reply = server.raw(data)
    response = parse_one(reply)
    assert response.status == status
    assert reply.closed, "the connection must be closed after an error answer"


@pytest.mark.parametrize("name, data, status", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request_after_keep_alive_request_gets_status_and_close(server, name, data,
                                                                           status):
    """The same input, parsed by the worker (the second request of a connection)."""
    with Conn(server) as conn:
        assert conn.request("alpha.test").status == 200
        conn.send(data)
        response = conn.response()
        assert response.status == status
        assert conn.closed_by_peer(), "the connection must be closed after an error answer"


def test_slow_request_head_gets_408_after_header_timeout(make_server):
    srv = make_server(server_options={"header_timeout": "1s"})
    with Conn(srv, timeout=8) as conn:
        started = time.monotonic()
        conn.send(b"GET / HTTP/1.1\r\nHost: alpha.test\r\n")
        response = conn.response()
        waited = time.monotonic() - started
        assert response.status == 408
        assert 0.8 <= waited <= 6, f"408 after {waited:.2f}s with a 1s header timeout"
        assert conn.closed_by_peer()


def test_slow_second_request_head_on_keep_alive_gets_408(make_server):
    srv = make_server(server_options={"header_timeout": "1s"})
    with Conn(srv, timeout=8) as conn:
        assert conn.request("alpha.test").status == 200
        started = time.monotonic()
        conn.send(b"GET /sub/ HTTP/1.1\r\nHost: alpha.te")
        response = conn.response()
        waited = time.monotonic() - started
        assert response.status == 408
        assert 0.8 <= waited <= 6, f"408 after {waited:.2f}s with a 1s header timeout"
        assert conn.closed_by_peer()


def test_slow_head_does_not_block_other_connections(make_server):
    srv = make_server(server_options={"header_timeout": "4s"})
    with Conn(srv, timeout=10) as slow:
        slow.send(b"GET / HTTP/1.1\r\nHost: alpha.test\r\nX-Slow: ")
        started = time.monotonic()
        for host in ("alpha.test", "beta.test", "alpha.test"):
            assert srv.get(host).status == 200
        assert time.monotonic() - started < 3.5, "other requests waited for the slow head"
        assert slow.response().status == 408


# ---------------------------------------------------------------------------------------------
# methods and headers


def test_head_has_get_headers_and_no_body(server):
    get = server.get("alpha.test", "/big.bin")
    with Conn(server) as conn:
        conn.send(request_bytes("alpha.test", "/big.bin", method="HEAD",
                                headers=["Connection: close"]))
        reply = recv_all(conn.sock, 3)
    assert reply.closed
    head = parse_one(reply, head=True)
    assert head.status == 200
    end = bytes(reply).index(b"\r\n\r\n") + 4
    assert bytes(reply)[end:] == b"", "HEAD must not carry a body"
    assert head.header("Content-Length") == str(BIG_FILE_SIZE)
    for name in ("Content-Type", "ETag", "Last-Modified", "Accept-Ranges"):
        assert head.header(name) == get.header(name), name


def test_post_gets_405_with_allow_header(server):
    response = server.get("alpha.test", "/", method="POST",
                          headers=["Content-Length: 0"])
    assert response.status == 405
    allow = {m.strip() for m in response.header("Allow").split(",")}
    assert {"GET", "HEAD"} <= allow
    assert "POST" not in allow


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_get_405_with_allow_header(server, method):
    response = server.get("beta.test", "/", method=method)
    assert response.status == 405
    assert response.header("Allow") is not None


def test_date_header_present_and_current(server):
    response = server.get("alpha.test")
    date = response.header("Date")
    assert date is not None
    parsed = email.utils.parsedate_to_datetime(date)
    assert date.endswith(" GMT")
    assert abs(parsed.timestamp() - time.time()) < 5


def test_error_responses_have_date_and_content_length(server):
    response = server.get("alpha.test", "/missing")
    assert response.status == 404
    assert response.header("Date") is not None
    assert int(response.header("Content-Length")) == len(response.body)


def test_if_none_match_with_previous_etag_gives_304(server):
    first = server.get("alpha.test", "/sub/page.txt")
    etag = first.header("ETag")
    assert first.status == 200 and etag
    response = server.get("alpha.test", "/sub/page.txt", headers=[f"If-None-Match: {etag}"])
    assert response.status == 304
    assert response.body == b""
    assert response.header("ETag") == etag
    other = server.get("alpha.test", "/sub/page.txt", headers=['If-None-Match: "nope"'])
    assert other.status == 200 and other.text == "alpha sub page\n"


def test_if_modified_since_last_modified_gives_304(server):
    first = server.get("alpha.test", "/sub/page.txt")
    last_modified = first.header("Last-Modified")
    assert last_modified
    response = server.get("alpha.test", "/sub/page.txt",
                          headers=[f"If-Modified-Since: {last_modified}"])
    assert response.status == 304
    assert response.body == b""
    older = server.get("alpha.test", "/sub/page.txt",
                       headers=["If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT"])
    assert older.status == 200


def test_304_on_keep_alive_has_no_body_and_next_request_works(server):
    etag = server.get("alpha.test", "/").header("ETag")
    with Conn(server) as conn:
        assert conn.request("alpha.test", headers=[f"If-None-Match: {etag}"]).status == 304
        assert conn.request("alpha.test", "/sub/page.txt").text == "alpha sub page\n"


def test_range_request_gets_206_with_exact_bytes(server):
    content = big_file_content()
    response = server.get("alpha.test", "/big.bin", headers=["Range: bytes=1000-1999"])
    assert response.status == 206
    assert response.body == content[1000:2000]
    assert response.header("Content-Range") == f"bytes 1000-1999/{BIG_FILE_SIZE}"
    assert response.header("Content-Length") == "1000"


def test_suffix_and_open_ranges_get_206(server):
    content = big_file_content()
    response = server.get("alpha.test", "/big.bin", headers=["Range: bytes=-100"])
    assert response.status == 206 and response.body == content[-100:]
    response = server.get("alpha.test", "/big.bin", headers=["Range: bytes=100000-"])
    assert response.status == 206 and response.body == content[100000:]
    assert response.header("Content-Range") == \
        f"bytes 100000-{BIG_FILE_SIZE - 1}/{BIG_FILE_SIZE}"


def test_unsatisfiable_range_gets_416(server):
    response = server.get("alpha.test", "/big.bin", headers=["Range: bytes=200000-300000"])
    assert response.status == 416
    assert response.header("Content-Range") == f"bytes */{BIG_FILE_SIZE}"


def test_large_file_is_sent_whole(server):
    response = server.get("alpha.test", "/big.bin", timeout=5)
    assert response.status == 200
    assert response.header("Content-Length") == str(BIG_FILE_SIZE)
    assert response.body == big_file_content()


# ---------------------------------------------------------------------------------------------
# request bodies


def test_post_over_max_body_bytes_gets_413(make_server):
    srv = make_server(alpha_options={"max_body_bytes": "1K"})
    body = b"x" * 2048
    reply = srv.raw(request_bytes("alpha.test", "/", method="POST",
                                  headers=[f"Content-Length: {len(body)}"], body=body))
    assert parse_one(reply).status == 413
    assert reply.closed
    # The limit is alpha's: beta keeps the default and answers the same POST with 405.
    reply = srv.raw(request_bytes("beta.test", "/", method="POST",
                                  headers=[f"Content-Length: {len(body)}"], body=body))
    assert parse_one(reply).status == 405


def test_chunked_get_body_over_max_body_bytes_gets_413(make_server):
    srv = make_server(alpha_options={"max_body_bytes": "1K"})
    chunk = b"y" * 600
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(4)) + b"0\r\n\r\n"
    reply = srv.raw(request_bytes("alpha.test", "/", headers=["Transfer-Encoding: chunked"],
                                  body=body))
    assert parse_one(reply).status == 413
    assert reply.closed


def test_get_with_chunked_body_is_drained_and_keep_alive_continues(server):
    with Conn(server) as conn:
        body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        response = conn.request("alpha.test", "/sub/page.txt",
                                headers=["Transfer-Encoding: chunked"], body=body)
        assert response.status == 200 and response.text == "alpha sub page\n"
        response = conn.request("alpha.test")
        assert response.status == 200 and response.text == ALPHA_BODY


def test_get_with_chunked_body_sent_late_is_drained_and_keep_alive_continues(server):
    with Conn(server) as conn:
        conn.send(request_bytes("alpha.test", "/", headers=["Transfer-Encoding: chunked"]))
        time.sleep(0.2)
        conn.send(b"3\r\nabc\r\n")
        time.sleep(0.2)
        conn.send(b"0\r\n\r\n")
        assert conn.response().text == ALPHA_BODY
        response = conn.request("beta.test")
        assert response.status == 200 and response.text == BETA_BODY


def test_get_with_content_length_body_is_drained_and_keep_alive_continues(server):
    with Conn(server) as conn:
        response = conn.request("alpha.test", headers=["Content-Length: 11"], body=b"GET / HTTP/")
        assert response.status == 200 and response.text == ALPHA_BODY
        response = conn.request("alpha.test", "/sub/page.txt")
        assert response.status == 200 and response.text == "alpha sub page\n"


def test_garbage_after_idle_keep_alive_is_400_not_a_hang(server):
    with Conn(server) as conn:
        assert conn.request("beta.test").status == 200
        time.sleep(0.2)
        conn.send(b"\x00\x01\x02\r\n\r\n")
        assert conn.response().status == 400
        assert conn.closed_by_peer()


def test_client_closing_mid_head_does_not_disturb_the_server(server):
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: alpha.te")
    assert server.get("alpha.test").status == 200
    assert server.get("beta.test").status == 200


def test_keep_alive_request_for_unknown_host_gets_421_and_close(server):
    with Conn(server) as conn:
        assert conn.request("alpha.test").status == 200
        assert conn.request("unknown.example").status == 421
        assert conn.closed_by_peer()


def test_keep_alive_absolute_form_request_for_other_site_is_handed_over(server):
    with Conn(server) as conn:
        assert conn.request("alpha.test").text == ALPHA_BODY
        response = conn.request("alpha.test", "http://beta.test/only-beta.txt")
        assert response.status == 200 and response.text == "beta only\n"
        response = conn.request("beta.test", "http://a.alpha.test/sub/page.txt")
        assert response.status == 200 and response.text == "alpha sub page\n"


def test_request_heads_sent_byte_by_byte_are_routed_and_switched(server):
    with Conn(server) as conn:
        for host, target, body in (("beta.test", "/only-beta.txt", "beta only\n"),
                                   ("alpha.test", "/sub/page.txt", "alpha sub page\n")):
            for byte in request_bytes(host, target):
                conn.send(bytes([byte]))
                time.sleep(0.002)
            response = conn.response()
            assert response.status == 200 and response.text == body


def test_host_switch_with_head_split_across_writes(server):
    with Conn(server) as conn:
        assert conn.request("alpha.test").text == ALPHA_BODY
        data = request_bytes("beta.test", "/only-beta.txt")
        conn.send(data[:20])
        time.sleep(0.3)
        conn.send(data[20:])
        response = conn.response()
        assert response.status == 200 and response.text == "beta only\n"


def test_host_switch_with_body_split_across_the_handover(server):
    with Conn(server) as conn:
        assert conn.request("beta.test").text == BETA_BODY
        conn.send(request_bytes("alpha.test", "/", headers=["Content-Length: 10"], body=b"01234"))
        time.sleep(0.3)
        conn.send(b"56789")
        assert conn.response().text == ALPHA_BODY
        response = conn.request("alpha.test", "/sub/page.txt")
        assert response.status == 200 and response.text == "alpha sub page\n"


def test_long_pipeline_alternating_hosts_answered_in_order(server):
    hosts = ["beta.test" if i % 3 == 0 else "alpha.test" for i in range(150)]
    data = b"".join(request_bytes(h, "/?" + "q" * 200) for h in hosts[:-1])
    data += request_bytes(hosts[-1], headers=["Connection: close"])
    reply = server.raw(data, timeout=5)
    assert reply.closed
    responses = parse_responses(reply)
    expected = [BETA_BODY if h.startswith("beta") else ALPHA_BODY for h in hosts]
    assert [r.status for r in responses] == [200] * len(hosts)
    assert [r.text for r in responses] == expected


def test_many_concurrent_connections_all_served(server):
    results = []

    def one(i):
        try:
            host = "alpha.test" if i % 2 else "beta.test"
            response = server.get(host, "/big.bin" if i % 4 == 1 else "/", timeout=10)
            ok = response.status == 200 and (len(response.body) == BIG_FILE_SIZE or
                                              response.text in (ALPHA_BODY, BETA_BODY))
            results.append(ok)
        except Exception as error:  # noqa: BLE001 - recorded
            results.append(repr(error))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    failures = [r for r in results if r is not True]
    assert len(results) == 60 and not failures, failures[:5]


def test_idle_keep_alive_connection_closed_after_keepalive_timeout(make_server):
    srv = make_server(server_options={"keepalive_timeout": "1s"})
    with Conn(srv, timeout=5) as conn:
        assert conn.request("alpha.test").status == 200
        started = time.monotonic()
        assert conn.closed_by_peer(wait=8)
        waited = time.monotonic() - started
        assert conn.buffer == b"", "an idle close sends nothing"
        assert 0.7 <= waited <= 5, f"closed after {waited:.2f}s with keepalive_timeout 1s"


def test_connection_sending_nothing_gets_408_or_close_within_bound(make_server):
    srv = make_server(server_options={"header_timeout": "1s"})
    with srv.connect(timeout=8) as sock:
        started = time.monotonic()
        reply = recv_all(sock, 8)
        waited = time.monotonic() - started
    assert reply.closed, "an idle new connection must not be held forever"
    assert waited < 6
    if reply:
        assert parse_one(reply).status == 408


def test_conditional_if_match_and_if_unmodified_since_failures_get_412(server):
    etag = server.get("alpha.test", "/sub/page.txt").header("ETag")
    assert server.get("alpha.test", "/sub/page.txt", headers=['If-Match: "nope"']).status == 412
    assert server.get("alpha.test", "/sub/page.txt", headers=[f"If-Match: {etag}"]).status == 200
    response = server.get("alpha.test", "/sub/page.txt",
                          headers=["If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT"])
    assert response.status == 412
    assert server.get("alpha.test", "/sub/page.txt", headers=["If-None-Match: *"]).status == 304


def test_if_range_with_current_etag_gives_206_and_with_other_etag_200(server):
    etag = server.get("alpha.test", "/big.bin").header("ETag")
    response = server.get("alpha.test", "/big.bin", headers=["Range: bytes=0-9", f"If-Range: {etag}"])
    assert response.status == 206 and response.body == big_file_content()[:10]
    response = server.get("alpha.test", "/big.bin", headers=["Range: bytes=0-9", 'If-Range: "old"'])
    assert response.status == 200 and len(response.body) == BIG_FILE_SIZE


# With "Connection: close" too: the client's last request, but its body is not read, so the
# worker must still linger rather than close on it.
@pytest.mark.parametrize("extra", [[], ["Connection: close"]])
def test_post_with_large_body_gets_405_not_a_reset(server, extra):
    body = b"z" * 1_000_000
    headers = [f"Content-Length: {len(body)}"] + extra
    with Conn(server, timeout=5) as conn:
        sender = threading.Thread(target=lambda: _send_quietly(conn.sock, request_bytes(
            "beta.test", "/", method="POST", headers=headers) + body))
        sender.start()
        response = conn.response()
        sender.join(10)
        assert response.status == 405
        assert conn.closed_by_peer(wait=5)


def test_connection_close_with_unread_body_behind_a_full_read_lingers(server):
    """The head is exactly one worker read (16 KiB), so the body is only in the socket: the
    worker must find it there and linger, or closing on it resets the connection (RST) instead
    of ending it with a FIN after the 405."""
    body = b"z" * 100_000  # fits in loopback's buffers: sent whole before the worker reads
    head = request_bytes("beta.test", "/", method="POST",
                         headers=[f"Content-Length: {len(body)}", "Connection: close",
                                  "X-Pad: "])
    head = head[:-4] + b"p" * (16 * 1024 - len(head)) + b"\r\n\r\n"
    assert len(head) == 16 * 1024
    with Conn(server, timeout=5) as conn:
        # One thread only: a reset must reach the recv below, not a concurrent send.
        conn.sock.sendall(head + body)
        response = conn.response()
        assert response.status == 405
        assert conn.clean_end(wait=5), "the connection was reset instead of closed"


def _send_quietly(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        pass
