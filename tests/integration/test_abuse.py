"""Overload and abuse: slow heads from one address, and the PROXY protocol from trusted and
untrusted addresses (issue: lifecycle and resilience)."""

import socket
import time

import pytest

from conftest import parse_one, recv_all, request_bytes

REQUEST = request_bytes("alpha.test", "/", headers=["Connection: close"])


def access_lines(server):
    path = server.log_dir / "alpha.access.log"
    return path.read_text().splitlines() if path.exists() else []


def proxied_client(server, before: int):
    """The client address of the first request logged after `before` lines."""
    deadline = time.time() + 5
    while time.time() < deadline:
        lines = access_lines(server)
        if len(lines) > before:
            return lines[before].split(" ", 1)[0]
        time.sleep(0.05)
    return None


def send_from(server, source: str, data: bytes):
    with socket.socket() as sock:
        sock.bind((source, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", server.ports["127.0.0.1"]))
        sock.sendall(data)
        return recv_all(sock, 5)


def test_a_thousand_slow_heads_from_one_address_do_not_stop_another_client(make_server):
    server = make_server(server_options={"header_timeout": "10s"})
    slow = []
    try:
        for _ in range(1000):
            sock = server.connect(timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: al")  # never finished
            slow.append(sock)
        reply = parse_one(send_from(server, "127.0.0.2", REQUEST))
        assert reply.status == 200
        assert b"alpha" in reply.body
        # Beyond the per-address cap the dispatcher refused at once instead of holding them.
        refused = 0
        for sock in slow[-20:]:
            sock.settimeout(2)
            try:
                refused += sock.recv(64).startswith(b"HTTP/1.1 503")
            except OSError:
                pass
        assert refused == 20
    finally:
        for sock in slow:
            sock.close()


@pytest.fixture(scope="module")
def proxied(request):
    from conftest import BulkheadServer
    server = BulkheadServer(server_options={"proxy_protocol_from": ["127.0.0.1/32", "::1"]})
    server.start()
    yield server
    server.stop()
    server.cleanup()


def test_proxy_v1_from_a_trusted_address_names_the_real_client(proxied):
    before = len(access_lines(proxied))
    reply = parse_one(send_from(proxied, "127.0.0.1",
                                b"PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\n" + REQUEST))
    assert reply.status == 200
    assert proxied_client(proxied, before) == "203.0.113.7"


def test_proxy_v2_from_a_trusted_address_names_the_real_client(proxied):
    before = len(access_lines(proxied))
    header = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" + bytes([203, 0, 113, 9, 198, 51, 100, 1])
              + (4242).to_bytes(2, "big") + (80).to_bytes(2, "big"))
    reply = parse_one(send_from(proxied, "127.0.0.1", header + REQUEST))
    assert reply.status == 200
    assert proxied_client(proxied, before) == "203.0.113.9"


def test_proxy_v2_local_keeps_the_socket_address(proxied):
    before = len(access_lines(proxied))
    header = b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"
    reply = parse_one(send_from(proxied, "127.0.0.1", header + REQUEST))
    assert reply.status == 200
    assert proxied_client(proxied, before) == "127.0.0.1"


def test_trusted_address_without_a_proxy_header_is_refused(proxied):
    assert parse_one(send_from(proxied, "127.0.0.1", REQUEST)).status == 400


def test_malformed_proxy_header_from_a_trusted_address_is_refused(proxied):
    reply = send_from(proxied, "127.0.0.1", b"PROXY TCP4 999.0.0.1 198.51.100.1 1 2\r\n" + REQUEST)
    assert parse_one(reply).status == 400


def test_proxy_header_from_an_untrusted_address_is_refused(proxied):
    reply = send_from(proxied, "127.0.0.2", b"PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\n" + REQUEST)
    assert parse_one(reply).status == 400


def test_untrusted_address_is_served_without_a_proxy_header(proxied):
    before = len(access_lines(proxied))
    reply = parse_one(send_from(proxied, "127.0.0.2", REQUEST))
    assert reply.status == 200
    assert proxied_client(proxied, before) == "127.0.0.2"


def test_proxy_header_split_across_segments_still_routes(proxied):
    before = len(access_lines(proxied))
    with socket.socket() as sock:
        sock.settimeout(5)
        sock.connect(("127.0.0.1", proxied.ports["127.0.0.1"]))
        for piece in (b"PROXY TCP4 203.0", b".113.77 198.51.100.1 5555 80\r", b"\n" + REQUEST):
            sock.sendall(piece)
            time.sleep(0.05)
        assert parse_one(recv_all(sock, 5)).status == 200
    assert proxied_client(proxied, before) == "203.0.113.77"


def test_site_connection_limit_gives_503_beyond_it_and_other_sites_are_served(make_server):
    server = make_server(beta_options={"limits": {"connections": 3}})
    held = []
    try:
        for _ in range(3):  # keep-alive connections that beta's workers hold open
            sock = server.connect()
            sock.sendall(request_bytes("beta.test", "/"))
            assert sock.recv(64).startswith(b"HTTP/1.1 200")
            held.append(sock)
        time.sleep(0.3)  # the workers' load reports reach the dispatcher
        reply = server.get("beta.test")
        assert reply.status == 503 and reply.header("Retry-After")
        assert server.get("alpha.test").status == 200
    finally:
        for sock in held:
            sock.close()
    # Once the workers have reported the closed connections (their reports are throttled),
    # beta is under its limit again.
    time.sleep(0.5)
    deadline = time.time() + 5
    while time.time() < deadline and server.get("beta.test").status != 200:
        time.sleep(0.2)
    time.sleep(0.2)
    assert server.get("beta.test").status == 200
