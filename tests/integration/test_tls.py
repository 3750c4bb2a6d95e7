"""TLS end to end: the dispatcher routes by the ClientHello's server name (SNI), peeked and never
read, and each site's own workers terminate TLS with the site's own certificate and key.

Covered: one certificate and one content per name (wildcards too), curl and openssl s_client,
421 for a Host the site does not own, the unknown_host policy for unknown or missing names,
ClientHellos in 1-byte TCP writes and across two records, malformed, truncated, oversized and
slow ClientHellos (closed without harm, the dispatcher unharmed), where the key files are open
(only in their own site's workers), redirect to https and HSTS, session resumption across the
workers of a site (and not across sites), TLS 1.2 and 1.3, min_version, CGI and PHP inside TLS,
and a PROXY header before the ClientHello.

HTTP/2 is tested in test_http2.py. Every test is bounded in time; none asserts on a duration."""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cgi_support import handler_options, install_programs
from conftest import (ALPHA_UID, BETA_UID, ESTABLISHED, BulkheadServer, Response, parse_one,
                      parse_responses, proc_children, recv_all, request_bytes, socket_inodes,
                      tcp_table)

# The fatal alerts the dispatcher sends before any handshake message (record version 3.3).
ALERT_DECODE_ERROR = b"\x15\x03\x03\x00\x02\x02\x32"
ALERT_UNRECOGNIZED_NAME = b"\x15\x03\x03\x00\x02\x02\x70"
ALERT_INTERNAL_ERROR = b"\x15\x03\x03\x00\x02\x02\x50"

SITES = {"alpha": ("alpha.test", ALPHA_UID), "beta": ("beta.test", BETA_UID)}
INDEX = {"alpha": b"<h1>alpha</h1>\n", "beta": b"<h1>beta</h1>\n"}
IO_TIMEOUT = 10.0  # no single exchange may take longer than this


@pytest.fixture(scope="module")
def server():
    """Both sites with TLS, CGI and PHP; alpha has two workers. The header timeout leaves
    the 1-byte writes room on a loaded machine."""
    srv = BulkheadServer(tls=True, server_options={"header_timeout": "5s"},
                         alpha_options=handler_options(), beta_options=handler_options(),
                         prefix="bulkhead-tls-")
    install_programs(srv)
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    srv.first_dispatcher = srv.dispatcher_pid
    yield srv
    stop_checked(srv)


def assert_no_sanitizer_reports(server) -> None:
    """Sanitizer builds (make sanitize): no report in the server log or a site's log."""
    reports = server.sanitizer_reports()
    assert not reports, "\n".join(reports)


def stop_checked(server) -> None:
    """stop_and_check, and no sanitizer report up to and including the exit."""
    try:
        code = server.stop()
        assert code == 0, f"bulkhead exited with {code} after SIGTERM; log:\n{server.log}"
        assert_no_sanitizer_reports(server)
    finally:
        server.cleanup()


def tls_raw(server, data: bytes, shut_write: bool = False, timeout: float = 5.0):
    """Sends raw bytes to the TLS port; returns what came back (RawReply: .closed)."""
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=timeout) as sock:
        sock.sendall(data)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        return recv_all(sock, timeout)


def dispatcher_unharmed(server) -> None:
    """The same dispatcher still runs (no crash, no restart) and both sites are served."""
    assert server.dispatcher_pid == server.first_dispatcher, server.log
    assert len(re.findall(r"started dispatcher as pid", server.log)) == 1, server.log
    for site, (host, _) in SITES.items():
        reply = server.tls_get(host, "/index.html")
        assert reply.status == 200 and reply.body == INDEX[site]


def http(server, host, target, **kwargs):
    return server.tls_get(host, target, timeout=IO_TIMEOUT, **kwargs)


def body_text(reply) -> str:
    """The body of a program's answer, chunked or not."""
    body = reply.body
    if (reply.header("Transfer-Encoding") or "").lower() == "chunked":
        data, body = body, b""
        while data:
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body, data = body + data[:size], data[size + 2:]
    return body.decode("utf-8", "replace")


def san_names(certificate: dict) -> set:
    return {value for kind, value in certificate.get("subjectAltName", ()) if kind == "DNS"}


def common_name(certificate: dict) -> str:
    for rdn in certificate["subject"]:
        for key, value in rdn:
            if key == "commonName":
                return value
    return ""


# ---------------------------------------------------------------------------------------------
# a client whose ClientHello bytes the test sends itself


class MemoryTls:
    """A TLS client over ssl.MemoryBIO: the test takes the ClientHello out, writes it to a
    plain socket however it likes, then the handshake and a request continue over that
    socket."""

    def __init__(self, context: ssl.SSLContext, server_name: str | None):
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_name)

    def client_hello(self) -> bytes:
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return self.outgoing.read()

    def _flush(self, sock: socket.socket) -> None:
        data = self.outgoing.read()
        if data:
            sock.sendall(data)

    def _feed(self, sock: socket.socket, deadline: float) -> bool:
        """One read from the socket into the TLS object; False at EOF."""
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        data = sock.recv(65536)
        if not data:
            self.incoming.write_eof()
            return False
        self.incoming.write(data)
        return True

    def finish_handshake(self, sock: socket.socket, timeout: float = IO_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.tls.do_handshake()
                self._flush(sock)
                return
            except ssl.SSLWantReadError:
                self._flush(sock)
                if not self._feed(sock, deadline):
                    raise ConnectionError("the server closed the connection in the handshake")
        raise AssertionError(f"no handshake within {timeout}s")

    def exchange(self, sock: socket.socket, request: bytes, timeout: float = IO_TIMEOUT) -> bytes:
        """Sends one request (with Connection: close) and reads to the end."""
        self.tls.write(request)
        self._flush(sock)
        reply = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self._flush(sock)
                if not self._feed(sock, deadline):
                    break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
        return reply


def split_into_two_records(hello: bytes, at: int) -> bytes:
    """The handshake bytes of a one-record ClientHello, re-framed as two records split at
    offset `at` of the handshake bytes."""
    assert hello[0] == 0x16 and len(hello) == 5 + int.from_bytes(hello[3:5], "big")
    body = hello[5:]
    first, second = body[:at], body[at:]
    return (hello[:3] + len(first).to_bytes(2, "big") + first
            + hello[:3] + len(second).to_bytes(2, "big") + second)


# ---------------------------------------------------------------------------------------------
# each name: its own certificate, its own content


@pytest.mark.parametrize("name,site", [("alpha.test", "alpha"), ("beta.test", "beta"),
                                       ("x.alpha.test", "alpha"), ("WWW.Alpha.Test", "alpha"),
                                       ("beta.test.", "beta")])
def test_each_name_gets_its_sites_certificate_and_content(server, name, site):
    context = server.ssl_context()
    # A trailing dot is routed like Host, but Python's name check does not accept it.
    context.check_hostname = not name.endswith(".")
    with server.tls_connect(name, context=context) as sock:  # verifies the chain and the name
        certificate = sock.getpeercert()
        assert common_name(certificate) == SITES[site][0]
        assert SITES[site][0] in san_names(certificate)
        assert sock.selected_alpn_protocol() == "http/1.1"
        sock.sendall(request_bytes(name, "/index.html", headers=["Connection: close"]))
        reply = parse_one(recv_all(sock, IO_TIMEOUT))
    assert reply.status == 200 and reply.body == INDEX[site]


def test_keep_alive_serves_several_requests_inside_one_tls_connection(server):
    with server.tls_connect("alpha.test") as sock:
        sock.sendall(request_bytes("alpha.test", "/index.html")
                     + request_bytes("x.alpha.test", "/sub/page.txt")
                     + request_bytes("alpha.test", "/index.html", headers=["Connection: close"]))
        data = recv_all(sock, IO_TIMEOUT)
    replies = parse_responses(data)
    assert [r.status for r in replies] == [200, 200, 200]
    assert replies[1].body == b"alpha sub page\n"


def test_curl_over_http11(server):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("needs curl (Debian package curl)")
    for site, (host, _) in SITES.items():
        url = f"https://{host}:{server.tls_port}/index.html"
        result = subprocess.run(
            [curl, "-sS", "--http1.1", "--cacert", str(server.ca_file),
             "--resolve", f"{host}:{server.tls_port}:127.0.0.1", "--max-time", "10",
             "-w", "\n%{http_code} %{http_version}", url],
            capture_output=True, timeout=30)
        assert result.returncode == 0, result.stderr.decode()
        body, _, status = result.stdout.rpartition(b"\n")
        assert status == b"200 1.1"
        assert body == INDEX[site]


def test_openssl_s_client_with_servername(server):
    request = b"GET /index.html HTTP/1.1\r\nHost: beta.test\r\nConnection: close\r\n\r\n"
    result = subprocess.run(
        ["/usr/bin/openssl", "s_client", "-connect", f"127.0.0.1:{server.tls_port}",
         "-servername", "beta.test", "-CAfile", str(server.ca_file), "-verify_return_error",
         "-ign_eof"],
        input=request, capture_output=True, timeout=30)
    output = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, output + result.stderr.decode()
    assert "Verify return code: 0 (ok)" in output
    assert re.search(r"subject=\s*CN\s*=\s*beta\.test", output), output
    assert "HTTP/1.1 200" in output and "<h1>beta</h1>" in output


# ---------------------------------------------------------------------------------------------
# names inside TLS


def test_host_of_another_site_inside_tls_gets_421(server):
    reply = http(server, "beta.test", "/index.html", server_name="alpha.test")
    assert reply.status == 421
    assert b"<h1>beta</h1>" not in reply.body


def test_unknown_host_inside_tls_gets_421(server):
    assert http(server, "nobody.test", "/index.html", server_name="alpha.test").status == 421


def test_host_and_name_may_differ_within_the_same_site(server):
    reply = http(server, "x.alpha.test", "/index.html", server_name="alpha.test")
    assert reply.status == 200 and reply.body == INDEX["alpha"]


@pytest.mark.parametrize("server_name", ["nobody.test", "alpha.test.example", None])
def test_unknown_or_missing_server_name_is_refused_with_an_alert(server, server_name):
    with pytest.raises(ssl.SSLError) as refused:
        server.tls_connect(server_name).close()
    assert "UNRECOGNIZED_NAME" in str(refused.value).upper(), refused.value


def test_unknown_server_name_alert_bytes(server):
    hello = MemoryTls(server.ssl_context(), "nobody.test").client_hello()
    reply = tls_raw(server, hello)
    assert reply == ALERT_UNRECOGNIZED_NAME and reply.closed


def test_unknown_host_site_answers_unknown_and_missing_names(make_server):
    srv = make_server(tls=True, server_options={"unknown_host": "alpha"})
    for server_name in ("nobody.test", None):
        context = srv.ssl_context()
        context.check_hostname = False  # alpha's certificate does not name nobody.test
        with srv.tls_connect(server_name, context=context) as sock:
            assert "alpha.test" in san_names(sock.getpeercert())
            sock.sendall(request_bytes("nobody.test", "/index.html",
                                       headers=["Connection: close"]))
            reply = parse_one(recv_all(sock, IO_TIMEOUT))
        assert reply.status == 200 and reply.body == INDEX["alpha"]
    # Known names still go to their own site.
    assert srv.tls_get("beta.test", "/index.html").body == INDEX["beta"]
    assert_no_sanitizer_reports(srv)


def test_a_site_without_tls_never_terminates_it(make_server):
    # beta has no [site.tls] and is the unknown_host site: its name and unknown names are
    # refused on the TLS port, while alpha's works and beta is served in the clear.
    srv = make_server(tls=True, beta_options={"tls": None},
                      server_options={"unknown_host": "beta"})
    for server_name in ("beta.test", "nobody.test", None):
        with pytest.raises(ssl.SSLError) as refused:
            srv.tls_connect(server_name).close()
        assert "UNRECOGNIZED_NAME" in str(refused.value).upper(), refused.value
    assert srv.tls_get("alpha.test", "/index.html").body == INDEX["alpha"]
    assert srv.get("beta.test", "/index.html").body == INDEX["beta"]
    assert_no_sanitizer_reports(srv)


# ---------------------------------------------------------------------------------------------
# ClientHellos in pieces


def test_client_hello_in_one_byte_tcp_writes_still_routes(server):
    client = MemoryTls(server.ssl_context(), "beta.test")
    hello = client.client_hello()
    assert 100 < len(hello) < 16384
    pause = min(0.001, 0.5 / len(hello))  # bounded: well inside the header timeout
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(hello)):
            sock.send(hello[i:i + 1])
            time.sleep(pause)
        client.finish_handshake(sock)
        assert "beta.test" in san_names(client.tls.getpeercert())
        reply = parse_one(client.exchange(sock, request_bytes(
            "beta.test", "/index.html", headers=["Connection: close"])))
    assert reply.status == 200 and reply.body == INDEX["beta"]


@pytest.mark.parametrize("where", ["inside the server name", "before the extensions"])
def test_client_hello_split_over_two_records_still_routes(server, where):
    client = MemoryTls(server.ssl_context(), "beta.test")
    hello = client.client_hello()
    body = hello[5:]
    at = body.find(b"beta.test") + 4 if where == "inside the server name" else 40
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT) as sock:
        sock.sendall(split_into_two_records(hello, at))
        client.finish_handshake(sock)
        reply = parse_one(client.exchange(sock, request_bytes(
            "beta.test", "/index.html", headers=["Connection: close"])))
    assert reply.status == 200 and reply.body == INDEX["beta"]


def test_client_hello_with_a_change_cipher_spec_right_behind_it_still_routes(server):
    """A client in TLS 1.3's middlebox-compatibility mode may send its dummy ChangeCipherSpec
    in the same segment as the ClientHello (RFC 8446 D.4). The dispatcher reads the hello, not
    what follows it; the worker's TLS library takes the rest."""
    client = MemoryTls(server.ssl_context(), "beta.test")
    hello = client.client_hello()
    change_cipher_spec = bytes([20, 3, 3, 0, 1, 1])
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT) as sock:
        sock.sendall(hello + change_cipher_spec)
        client.finish_handshake(sock)
        reply = parse_one(client.exchange(sock, request_bytes(
            "beta.test", "/index.html", headers=["Connection: close"])))
    assert reply.status == 200 and reply.body == INDEX["beta"]


# ---------------------------------------------------------------------------------------------
# bad ClientHellos: closed without harm


def client_hello_claiming(length: int, record_size: int, total: int) -> bytes:
    """Handshake records carrying a ClientHello header that claims `length` bytes, followed
    by zeros, `total` handshake bytes in all, in records of `record_size`."""
    handshake = b"\x01" + length.to_bytes(3, "big")
    handshake += bytes(total - len(handshake))
    records = b""
    for start in range(0, len(handshake), record_size):
        piece = handshake[start:start + record_size]
        records += b"\x16\x03\x01" + len(piece).to_bytes(2, "big") + piece
    return records


GARBAGE = {
    "random bytes": b"\x42" + random.Random(5).randbytes(300),
    "an HTTP request": b"GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n",
    "a huge record length": b"\x16\x03\x01\xff\xff" + bytes(100),
    "an application data record": b"\x17\x03\x03\x00\x05hello",
    "a handshake that is no ClientHello": b"\x16\x03\x01\x00\x08\x02\x00\x00\x04\x03\x03\x00\x00",
    "a ClientHello claiming 20 KiB": client_hello_claiming(20 * 1024, 4096, 20 * 1024),
    # Fits by its own length, but not with the headers of 164 records: more than the peek.
    "a ClientHello in too many small records": client_hello_claiming(16380, 100, 16384),
    # Its session id claims 255 bytes where 9 are left.
    "a ClientHello with broken lengths": (b"\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03"
                                          + bytes(32) + b"\xff" + bytes(9)),
}


@pytest.mark.parametrize("what", GARBAGE)
def test_malformed_client_hello_gets_decode_error_and_is_closed(server, what):
    reply = tls_raw(server, GARBAGE[what])
    assert reply == ALERT_DECODE_ERROR, reply[:50]
    assert reply.closed
    dispatcher_unharmed(server)


def test_truncated_client_hello_then_close(server):
    hello = MemoryTls(server.ssl_context(), "alpha.test").client_hello()
    for cut in (1, 5, 40, len(hello) // 2, len(hello) - 1):
        reply = tls_raw(server, hello[:cut], shut_write=True)
        assert reply == b"" and reply.closed, (cut, reply)
    dispatcher_unharmed(server)


def test_slow_client_hello_is_closed_silently_after_the_header_timeout(server):
    hello = MemoryTls(server.ssl_context(), "alpha.test").client_hello()
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT) as sock:
        sock.sendall(hello[:40])
        reply = recv_all(sock, IO_TIMEOUT)  # header_timeout is 5 s
    assert reply == b"" and reply.closed
    dispatcher_unharmed(server)


def test_many_bad_client_hellos_leave_the_dispatcher_serving(server):
    rng = random.Random(7)
    hello = MemoryTls(server.ssl_context(), "alpha.test").client_hello()
    for _ in range(40):
        mutated = bytearray(hello)
        for _ in range(rng.randrange(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        # Whatever comes back is an alert, nothing, or (if the mutation left a routable
        # ClientHello) the worker's handshake; the connection must end either way.
        reply = tls_raw(server, bytes(mutated[:rng.randrange(1, len(mutated) + 1)]),
                        shut_write=True)
        assert reply.closed
    dispatcher_unharmed(server)


def test_slow_client_hellos_from_one_address_hit_its_cap_not_another_client(make_server):
    srv = make_server(tls=True, server_options={"header_timeout": "10s"})
    hello = MemoryTls(srv.ssl_context(), "alpha.test").client_hello()
    slow = []
    try:
        for _ in range(300):  # the per-address cap is 256
            sock = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5)
            sock.sendall(hello[:40])  # never finished
            slow.append(sock)
        raw = socket.socket()
        raw.bind(("127.0.0.2", 0))
        raw.settimeout(IO_TIMEOUT)
        raw.connect(("127.0.0.1", srv.tls_port))
        with srv.ssl_context().wrap_socket(raw, server_hostname="alpha.test") as sock:
            sock.sendall(request_bytes("alpha.test", "/index.html", headers=["Connection: close"]))
            assert parse_one(recv_all(sock, IO_TIMEOUT)).body == INDEX["alpha"]
        # Beyond the cap the dispatcher refused at once, with an alert rather than HTTP.
        for sock in slow[-20:]:
            reply = recv_all(sock, 2)
            assert reply == ALERT_INTERNAL_ERROR and reply.closed, reply
    finally:
        for sock in slow:
            sock.close()
    assert_no_sanitizer_reports(srv)


# ---------------------------------------------------------------------------------------------
# the keys: open only in their own site's workers


def processes_holding(path: Path) -> set:
    """Every process on the machine with a descriptor open on `path`."""
    return {int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and str(path) in descriptor_links(int(entry))}


def descriptor_links(pid: int) -> list:
    links = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        pass
    return links


def cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def server_processes(server) -> set:
    """The master and all its descendants (dispatcher, workers, php-cgi, CGI scripts)."""
    seen, todo = set(), [server.master_pid]
    while todo and len(seen) < 1000:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo += proc_children(pid)
    return seen


def test_each_key_is_open_only_in_its_own_sites_workers(server):
    # PHP's and a CGI's processes exist while the descriptors are walked: a slow CGI runs in
    # the background on each site.
    for site, (host, _) in SITES.items():
        assert http(server, host, "/ids.php").status == 200
    slow = [threading.Thread(target=http, args=(server, host, "/cgi-bin/stream.cgi"))
            for host, _ in SITES.values()]
    for thread in slow:
        thread.start()
    try:
        time.sleep(0.5)
        everyone = server_processes(server)
        assert any(b"php-cgi" in cmdline(pid) for pid in everyone), "no php-cgi is running"
        for site, key in (("alpha", server.alpha_key), ("beta", server.beta_key)):
            workers = set(server.worker_pids(site))
            assert workers
            assert processes_holding(key) == workers, (site, processes_holding(key), workers)
        # Nothing else of the TLS directory is held anywhere but in the workers either.
        tls_dir = str(server.alpha_key.parent) + "/"
        for pid in everyone - set(server.worker_pids()):
            held = [link for link in descriptor_links(pid) if link.startswith(tls_dir)]
            assert not held, (pid, cmdline(pid), held)
    finally:
        for thread in slow:
            thread.join(IO_TIMEOUT * 2)


# ---------------------------------------------------------------------------------------------
# redirect, HSTS, versions


@pytest.fixture(scope="module")
def strict():
    """alpha: redirect_http, HSTS one year, TLS 1.3 only; beta: defaults."""
    srv = BulkheadServer(tls=True, prefix="bulkhead-tls-strict-")
    srv.alpha_options["tls"].update({"redirect_http": True, "hsts": "365d",
                                     "min_version": "1.3"})
    srv.write_config()
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    yield srv
    stop_checked(srv)


def test_plain_http_is_redirected_to_https_with_the_tls_port(strict):
    reply = strict.get("alpha.test", "/x?y")
    assert reply.status == 308
    assert reply.header("Location") == f"https://alpha.test:{strict.tls_port}/x?y"
    assert reply.header("Strict-Transport-Security") is None  # never in the clear
    other = strict.get("sub.alpha.test", "/a/b%20c?q=1&r")
    assert other.header("Location") == f"https://sub.alpha.test:{strict.tls_port}/a/b%20c?q=1&r"


def test_redirect_never_takes_a_request_body_for_the_next_request(strict):
    """A POST's body that looks like a request must not be answered: the 308 ends the
    connection instead of reading on."""
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: beta.test\r\n\r\n"
    request = request_bytes("alpha.test", "/form", "POST", "HTTP/1.1",
                            [f"Content-Length: {len(smuggled)}"], smuggled)
    reply = strict.raw(request, timeout=2)
    responses = parse_responses(reply)
    assert [r.status for r in responses] == [308], reply[:500]
    assert responses[0].header("Connection") == "close"


def test_site_without_redirect_is_served_in_the_clear(strict):
    reply = strict.get("beta.test", "/index.html")
    assert reply.status == 200 and reply.body == INDEX["beta"]


def test_hsts_on_tls_responses_of_the_site_that_asks_for_it(strict):
    reply = strict.tls_get("alpha.test", "/index.html")
    assert reply.status == 200
    assert reply.header("Strict-Transport-Security") == "max-age=31536000"
    assert strict.tls_get("beta.test", "/index.html").header("Strict-Transport-Security") is None


def pinned(server, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = server.ssl_context()
    context.minimum_version = context.maximum_version = version
    return context


@pytest.mark.parametrize("version,name", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                                          (ssl.TLSVersion.TLSv1_3, "TLSv1.3")])
def test_tls_12_and_13_both_negotiate(server, version, name):
    with server.tls_connect("alpha.test", context=pinned(server, version)) as sock:
        assert sock.version() == name
        cipher = sock.cipher()[0]
        if name == "TLSv1.2":  # forward secrecy and an AEAD: the modern default policy
            assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher)
        sock.sendall(request_bytes("alpha.test", "/index.html", headers=["Connection: close"]))
        assert parse_one(recv_all(sock, IO_TIMEOUT)).status == 200


def test_min_version_13_refuses_tls_12(strict):
    with pytest.raises(ssl.SSLError):
        strict.tls_connect("alpha.test", context=pinned(strict, ssl.TLSVersion.TLSv1_2)).close()
    with strict.tls_connect("alpha.test", context=pinned(strict, ssl.TLSVersion.TLSv1_3)) as s:
        assert s.version() == "TLSv1.3"
    # The other site keeps its own policy.
    with strict.tls_connect("beta.test", context=pinned(strict, ssl.TLSVersion.TLSv1_2)) as s:
        assert s.version() == "TLSv1.2"


# ---------------------------------------------------------------------------------------------
# session resumption


def serving_worker(server, sock) -> int:
    """The worker pid that holds the server side of our connection."""
    client_port = sock.getsockname()[1]
    inodes = {entry.inode for entry in tcp_table()
              if entry.local_port == server.tls_port and entry.remote_port == client_port
              and entry.state == ESTABLISHED}
    for pid in server.worker_pids():
        if inodes & socket_inodes(pid):
            return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def first_session(server, context, name="alpha.test") -> ssl.SSLSession:
    with server.tls_connect(name, context=context) as sock:
        # TLS 1.3 tickets come after the handshake: a whole exchange makes sure they arrived.
        sock.sendall(request_bytes(name, "/index.html", headers=["Connection: close"]))
        assert parse_one(recv_all(sock, IO_TIMEOUT)).status == 200
        assert not sock.session_reused
        session = sock.session
    assert session is not None and session.has_ticket
    return session


def resume(server, context, session, name="alpha.test") -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=IO_TIMEOUT)
    try:
        return context.wrap_socket(raw, server_hostname=name, session=session)
    except BaseException:
        raw.close()
        raise


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_sessions_resume_with_tickets_on_every_worker_of_the_site(server, version):
    context = pinned(server, version)
    session = first_session(server, context)
    alpha_workers = set(server.worker_pids("alpha"))
    assert len(alpha_workers) >= 2
    held, workers = [], set()
    try:
        # Connections held open spread over the site's workers (least busy first).
        for _ in range(8):
            sock = resume(server, context, session)
            held.append(sock)
            assert sock.session_reused, "a ticket of the site was not accepted"
            workers.add(serving_worker(server, sock))
            if workers == alpha_workers:
                break
        assert workers == alpha_workers, "the resumed connections did not reach every worker"
        for sock in held:
            sock.sendall(request_bytes("alpha.test", "/index.html"))
        for sock in held:
            assert parse_one_response(sock).status == 200
    finally:
        for sock in held:
            sock.close()


def parse_one_response(sock) -> Response:
    """Reads one keep-alive response with a Content-Length body."""
    data, deadline = b"", time.monotonic() + IO_TIMEOUT
    while time.monotonic() < deadline:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", data[:end + 2])
            if match and len(data) >= end + 4 + int(match.group(1)):
                return parse_one(data[:end + 4 + int(match.group(1))])
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    raise AssertionError(f"no complete response: {data[:200]!r}")


def test_a_ticket_of_one_site_does_not_resume_at_another(server):
    context = server.ssl_context()
    session = first_session(server, context, "alpha.test")
    with resume(server, context, session, "beta.test") as sock:
        assert not sock.session_reused
        assert "beta.test" in san_names(sock.getpeercert())


# ---------------------------------------------------------------------------------------------
# CGI and PHP inside TLS


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("program", ["/cgi-bin/ids.cgi", "/ids.php"])
def test_programs_run_as_their_site_inside_tls(server, site, program):
    host, uid = SITES[site]
    reply = http(server, host, program)
    assert reply.status == 200, reply.text
    assert re.match(rf"uid={uid} gid={uid} pid=\d+", body_text(reply)), reply.text


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("program", ["/cgi-bin/env.cgi", "/env.php"])
def test_programs_see_https_on_inside_tls(server, site, program):
    host, _ = SITES[site]
    reply = http(server, host, program)
    assert reply.status == 200, reply.text
    assert re.search(r"^(SERVER:)?HTTPS=on$", body_text(reply), re.M), reply.text
    plain = server.get(host, program, timeout=IO_TIMEOUT)
    assert plain.status == 200, plain.text
    assert not re.search(r"^(SERVER:)?HTTPS=", body_text(plain), re.M), plain.text


# ---------------------------------------------------------------------------------------------
# a trusted balancer's PROXY header before the ClientHello


@pytest.fixture(scope="module")
def balanced():
    srv = BulkheadServer(tls=True, server_options={"proxy_protocol_from": ["127.0.0.1/32"]},
                         prefix="bulkhead-tls-proxy-")
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    yield srv
    stop_checked(srv)


def test_proxy_header_then_client_hello_routes_and_names_the_client(balanced):
    raw = socket.create_connection(("127.0.0.1", balanced.tls_port), timeout=IO_TIMEOUT)
    raw.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.1 5555 443\r\n")
    with balanced.ssl_context().wrap_socket(raw, server_hostname="alpha.test") as sock:
        sock.sendall(request_bytes("alpha.test", "/index.html", headers=["Connection: close"]))
        reply = parse_one(recv_all(sock, IO_TIMEOUT))
    assert reply.status == 200 and reply.body == INDEX["alpha"]
    log = balanced.log_dir / "alpha.access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if log.exists() and any(line.startswith("203.0.113.7 ")
                                for line in log.read_text().splitlines()):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"no access log line for 203.0.113.7:\n{log.read_text()}")


def test_trusted_address_without_proxy_header_gets_decode_error(balanced):
    hello = MemoryTls(balanced.ssl_context(), "alpha.test").client_hello()
    reply = tls_raw(balanced, hello)
    assert reply == ALERT_DECODE_ERROR and reply.closed
