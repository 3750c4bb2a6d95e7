"""HTTP/2 over TLS (ALPN h2): the same static files, CGI and FastCGI as HTTP/1.1, through
curl --http2, nghttp (many parallel streams) and h2load; 421 for an :authority that is not the
site's; and the known HTTP/2 attacks (rapid reset, CONTINUATION flood, SETTINGS and PING
floods, HPACK bomb) from a raw client end in GOAWAY or a close without the worker's memory
growing, and the server still serves afterwards.

Names resolve without touching the host: curl gets --resolve, h2load --connect-to, and nghttp
runs in a private mount namespace whose /etc/hosts says where alpha.test and beta.test are."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import time
from pathlib import Path

import pytest

from cgi_support import handler_options, install_programs, wait_until
from conftest import BulkheadServer, proc_status, require_root_and_binaries, stop_and_check

CLIENT_TIMEOUT = 30  # seconds for any one client run
RSS_GROWTH_LIMIT_KIB = 32 * 1024
FLOOD_SECONDS = 15.0  # a raw attack connection gives up after this long

# --- the server -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    require_root_and_binaries()
    for tool in ("curl", "nghttp", "h2load", "unshare"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (Debian: curl, nghttp2-client, util-linux)")
    srv = BulkheadServer(tls=True, alpha_options=handler_options(),
                         beta_options=handler_options())
    srv.beta_options["tls"]["hsts"] = "1h"
    srv.write_config()
    install_programs(srv)
    (srv.alpha_root / "one-kib.txt").write_bytes(b"k" * 1024)
    os.chown(srv.alpha_root / "one-kib.txt", srv_uid(srv, "alpha"), srv_uid(srv, "alpha"))
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    yield srv
    stop_and_check(srv)


def srv_uid(srv: BulkheadServer, site: str) -> int:
    return (srv.alpha_options if site == "alpha" else srv.beta_options)["user"]


# --- clients ------------------------------------------------------------------------------


class CurlReply:
    def __init__(self, version: str, status: int, headers: dict, body: bytes):
        self.version, self.status, self.headers, self.body = version, status, headers, body


def curl(server, url_path: str, host: str = "alpha.test", args=(), data: bytes | None = None,
         stdin_body: bytes | None = None) -> CurlReply:
    """One request with curl --http2 to https://host:port/path; the reply and its version."""
    port = server.tls_port
    workdir = server.dir / "curl"
    workdir.mkdir(exist_ok=True)
    head_file, body_file = workdir / "head", workdir / "body"
    for stale in (head_file, body_file):  # curl writes no body file for a bodiless answer
        stale.unlink(missing_ok=True)
    cmd = ["curl", "-sS", "--http2", "--max-time", str(CLIENT_TIMEOUT),
           "--cacert", str(server.ca_file),
           "--resolve", f"alpha.test:{port}:127.0.0.1", "--resolve", f"beta.test:{port}:127.0.0.1",
           "-D", str(head_file), "-o", str(body_file), "-w", "%{http_version} %{http_code}",
           *args]
    stdin = None
    if data is not None:
        data_file = workdir / "data"
        data_file.write_bytes(data)
        cmd += ["--data-binary", f"@{data_file}"]
    if stdin_body is not None:
        cmd += ["-T", "-"]
        stdin = stdin_body
    cmd.append(f"https://{host}:{port}{url_path}")
    result = subprocess.run(cmd, input=stdin, capture_output=True, timeout=CLIENT_TIMEOUT + 10)
    assert result.returncode == 0, f"curl failed: {result.stderr.decode()}"
    version, status = result.stdout.decode().split()
    headers = {}
    for line in head_file.read_text("latin-1").splitlines()[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = body_file.read_bytes() if body_file.exists() else b""
    return CurlReply(version, int(status), headers, body)


def with_test_hosts(server, command: list) -> list:
    """`command` in a private mount namespace whose /etc/hosts names the test sites."""
    hosts = server.dir / "hosts"
    hosts.write_text("127.0.0.1 alpha.test beta.test\n")
    script = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(hosts),
            *command]


def run_tool(command: list) -> str:
    result = subprocess.run(command, capture_output=True, timeout=CLIENT_TIMEOUT + 10)
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    assert result.returncode == 0, f"{command[0]} exited {result.returncode}:\n{output[-3000:]}"
    return output


# --- a raw HTTP/2 client over TLS, for the attacks ------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = 0, 1, 3, 4, 6, 7, 9
END_STREAM, END_HEADERS = 0x1, 0x4
ENHANCE_YOUR_CALM, CANCEL = 0xB, 0x8


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def hpack_int(first: int, prefix_bits: int, value: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name: bytes, value: bytes, indexing: bool = False) -> bytes:
    """An HPACK literal field with a new name (RFC 7541 6.2)."""
    first = hpack_int(0x40 if indexing else 0x00, 6 if indexing else 4, 0)
    return first + hpack_int(0, 7, len(name)) + name + hpack_int(0, 7, len(value)) + value


def get_block(authority: bytes = b"alpha.test", path: bytes = b"/index.html") -> bytes:
    # :method GET, :scheme https from the static table; :authority and :path as literals
    return b"\x82\x87" + literal(b":authority", authority) + literal(b":path", path)


class RawH2:
    """TLS with ALPN h2 to the server; frames are written as given and read back parsed."""

    def __init__(self, server, host: str = "alpha.test"):
        self.sock = server.tls_connect(host, alpn=("h2",), timeout=5.0)
        assert self.sock.selected_alpn_protocol() == "h2"
        self.buffer = b""
        self.closed = False
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))

    def close(self):
        self.sock.close()

    def send(self, data: bytes) -> bool:
        """False when the server closed before it took everything."""
        try:
            self.sock.settimeout(FLOOD_SECONDS)
            self.sock.sendall(data)
            return True
        except (OSError, ssl.SSLError):
            self.closed = True
            return False

    def frames(self, until, timeout: float = FLOOD_SECONDS) -> list:
        """Reads frames until until(frames) is true, the server closes, or `timeout`."""
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.closed and not until(got):
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except (OSError, ssl.SSLError):
                chunk = b""
            if not chunk:
                self.closed = True
                break
            self.buffer += chunk
            while len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) < 9 + length:
                    break
                kind, flags = self.buffer[3], self.buffer[4]
                stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
                got.append((kind, flags, stream, self.buffer[9:9 + length]))
                self.buffer = self.buffer[9 + length:]
        return got


def goaway_code(frames: list):
    for kind, _, _, payload in frames:
        if kind == GOAWAY:
            return int.from_bytes(payload[4:8], "big")
    return None


def rss_kib(pids: list) -> dict:
    return {pid: int(proc_status(pid)["VmRSS"].split()[0]) for pid in pids}


def assert_rss_bounded(before: dict):
    after = rss_kib(list(before))
    for pid, kib in before.items():
        assert after[pid] - kib < RSS_GROWTH_LIMIT_KIB, \
            f"worker {pid} grew from {kib} KiB to {after[pid]} KiB"


def assert_still_serves(server):
    reply = curl(server, "/index.html")
    assert (reply.version, reply.status) == ("2", 200)


# --- features ------------------------------------------------------------------------------


@pytest.mark.parametrize("host, content", [("alpha.test", b"<h1>alpha</h1>\n"),
                                           ("beta.test", b"<h1>beta</h1>\n")])
def test_each_site_over_http2(server, host, content):
    reply = curl(server, "/index.html", host)
    assert reply.version == "2"
    assert reply.status == 200
    assert reply.body == content
    assert reply.headers["server"] == "bulkhead"
    assert reply.headers["content-length"] == str(len(content))


def test_large_file_and_range(server):
    whole = curl(server, "/big.bin")
    assert (whole.version, whole.status) == ("2", 200)
    expected = (server.alpha_root / "big.bin").read_bytes()
    assert whole.body == expected
    part = curl(server, "/big.bin", args=["-r", "1000-1999"])
    assert part.status == 206
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(expected)}"
    assert part.body == expected[1000:2000]


def test_conditional_requests(server):
    first = curl(server, "/index.html")
    etag = first.headers["etag"]
    again = curl(server, "/index.html", args=["-H", f"If-None-Match: {etag}"])
    assert again.status == 304
    assert again.body == b""
    failed = curl(server, "/index.html", args=["-H", 'If-Match: "nope"'])
    assert failed.status == 412


def test_head_request(server):
    reply = curl(server, "/big.bin", args=["-I"])
    assert reply.status == 200
    assert reply.headers["content-length"] == str(len(server.alpha_root.joinpath("big.bin")
                                                      .read_bytes()))


def test_wrong_authority_is_421(server):
    # SNI alpha.test, :authority beta.test: a coalesced request the connection cannot serve
    reply = curl(server, "/index.html", "alpha.test", args=["-H", "Host: beta.test"])
    assert (reply.version, reply.status) == ("2", 421)
    reply = curl(server, "/index.html", "beta.test", args=["-H", "Host: alpha.test"])
    assert reply.status == 421


def test_hsts_only_where_configured(server):
    assert curl(server, "/index.html", "beta.test").headers.get(
        "strict-transport-security") == "max-age=3600"
    assert "strict-transport-security" not in curl(server, "/index.html", "alpha.test").headers


def test_many_parallel_streams_with_nghttp(server):
    url = f"https://alpha.test:{server.tls_port}/big.bin"
    output = run_tool(with_test_hosts(server, ["nghttp", "-n", "-v", "-m", "100",
                                               "-t", str(CLIENT_TIMEOUT), url]))
    statuses = re.findall(r"recv \(stream_id=(\d+)\) :status: (\d+)", output)
    assert len(statuses) == 100, output[-2000:]
    assert {status for _, status in statuses} == {"200"}
    assert len({stream for stream, _ in statuses}) == 100


def test_h2load_all_succeed(server):
    port = server.tls_port
    output = run_tool(["h2load", "-n", "2000", "-c", "4", "-m", "10",
                       f"--connect-to=127.0.0.1:{port}", f"https://alpha.test:{port}/one-kib.txt"])
    assert re.search(r"requests: 2000 total, 2000 started, 2000 done, 2000 succeeded", output), \
        output
    assert re.search(r"status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx", output), output


@pytest.mark.parametrize("path", ["/cgi-bin/ids.cgi", "/cgi-bin/ids.pl", "/ids.php"])
def test_programs_run_as_the_site_over_http2(server, path):
    reply = curl(server, path)
    assert (reply.version, reply.status) == ("2", 200)
    assert re.match(rb"uid=40101 gid=40101 pid=\d+", reply.body), reply.body


@pytest.mark.parametrize("path", ["/cgi-bin/echo.cgi", "/echo.php"])
def test_post_body_round_trips(server, path):
    body = os.urandom(3 * 1024 * 1024 + 12345)
    reply = curl(server, path, data=body)
    assert (reply.version, reply.status) == ("2", 200)
    assert len(reply.body) == len(body)
    assert hashlib.sha256(reply.body).digest() == hashlib.sha256(body).digest()


@pytest.mark.parametrize("path", ["/cgi-bin/echo.cgi", "/echo.php"])
def test_body_without_length_reaches_the_program(server, path):
    # curl -T - sends no content-length on HTTP/2: the worker learns it from END_STREAM
    body = os.urandom(20_000)
    reply = curl(server, path, args=["-X", "POST"], stdin_body=body)
    assert reply.status == 200
    assert reply.body == body


def test_php_and_cgi_details_over_http2(server):
    status = curl(server, "/status.php")
    assert status.status == 418
    assert status.headers["x-from-php"] == "yes"
    info = curl(server, "/info.php/extra?q=1", args=["-H", "X-Test: h2"])
    assert b"PATH_INFO=/extra" in info.body
    assert b"QUERY_STRING=q=1" in info.body
    assert b"HTTP_X_TEST=h2" in info.body
    assert b"HTTPS=on" in info.body
    assert b"SERVER_NAME=alpha.test" in info.body
    env = curl(server, "/cgi-bin/env.cgi")
    assert b"SERVER_PROTOCOL=HTTP/2.0" in env.body
    assert curl(server, "/cgi-bin/local-redirect.cgi").body.startswith(b"uid=40101")
    assert curl(server, "/cgi-bin/static-redirect.cgi").body == b"static target\n"
    assert curl(server, "/cgi-bin/status.cgi").status == 404
    assert curl(server, "/cgi-bin/garbage.cgi").status == 502
    head = curl(server, "/cgi-bin/length.cgi", args=["-I"])
    assert head.status == 200
    assert head.headers["content-length"] == "6"


def test_expect_100_continue_gets_an_interim_answer(server):
    raw = RawH2(server)
    try:
        block = b"\x83\x87" + literal(b":authority", b"alpha.test") + \
            literal(b":path", b"/echo.php") + literal(b"content-length", b"5") + \
            literal(b"expect", b"100-continue")  # \x83: :method POST
        raw.send(frame(HEADERS, END_HEADERS, 1, block))
        # PHP answers only after the body: a HEADERS frame now can only be the 100
        interim = raw.frames(lambda got: any(k == HEADERS and s == 1 for k, _, s, _ in got), 10.0)
        assert any(k == HEADERS and s == 1 and not f & END_STREAM for k, f, s, _ in interim)
        raw.send(frame(DATA, END_STREAM, 1, b"hello"))
        final = raw.frames(lambda got: any(k == DATA and s == 1 and f & END_STREAM
                                           for k, f, s, _ in got), 10.0)
        body = b"".join(p for k, _, s, p in final if k == DATA and s == 1)
        assert body == b"hello", (interim, final)
    finally:
        raw.close()


def test_streamed_response_over_http2(server):
    reply = curl(server, "/cgi-bin/stream.cgi")
    assert reply.status == 200
    assert reply.body == b"".join(b"tick %d\n" % i for i in range(1, 5))


def test_php_cannot_read_the_key_over_http2(server):
    reply = curl(server, f"/read.php?path={server.alpha_key}")
    assert reply.status == 200
    assert reply.body == b"DENIED\n"


def test_access_log_has_a_line_per_stream(server):
    curl(server, "/index.html?h2-log-marker")
    log = server.log_dir / "alpha.access.log"
    assert wait_until(lambda: b"GET /index.html?h2-log-marker HTTP/2.0\" 200 15"
                      in log.read_bytes(), 5.0), log.read_bytes()[-2000:]


# --- attacks -------------------------------------------------------------------------------


def alpha_workers(server) -> list:
    pids = server.worker_pids("alpha")
    assert pids
    return pids


def test_rapid_reset_flood(server):
    before = rss_kib(alpha_workers(server))
    for _ in range(3):  # several connections, one after another
        raw = RawH2(server)
        try:
            block = get_block()
            flood = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, stream, block)
                             + frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))
                             for stream in range(1, 2 * 5000, 2))
            raw.send(flood)
            frames = raw.frames(lambda got: goaway_code(got) is not None)
            assert goaway_code(frames) == ENHANCE_YOUR_CALM or raw.closed
        finally:
            raw.close()
    assert_rss_bounded(before)
    assert_still_serves(server)


def test_continuation_flood(server):
    before = rss_kib(alpha_workers(server))
    raw = RawH2(server)
    try:
        filler = b"".join(literal(b"x-flood", b"a" * 1000) for _ in range(15))
        raw.send(frame(HEADERS, 0, 1, get_block()))
        sent = 0
        for _ in range(2000):  # 30 MB if the server took it all; it must not
            if not raw.send(frame(CONTINUATION, 0, 1, filler)):
                break
            sent += 1
            if sent % 50 == 0 and goaway_code(raw.frames(lambda got: False, 0.01)) is not None:
                break
        frames = raw.frames(lambda got: goaway_code(got) is not None, 5.0)
        assert raw.closed or goaway_code(frames) is not None, frames
        assert sent < 2000, "the server read a CONTINUATION flood without end"
    finally:
        raw.close()
    assert_rss_bounded(before)
    assert_still_serves(server)


@pytest.mark.parametrize("kind, payload", [(SETTINGS, b""), (PING, b"12345678")],
                         ids=["settings", "ping"])
def test_control_frame_flood(server, kind, payload):
    before = rss_kib(alpha_workers(server))
    raw = RawH2(server)
    try:
        raw.send(frame(kind, 0, 0, payload) * 20000)
        frames = raw.frames(lambda got: goaway_code(got) is not None)
        assert goaway_code(frames) == ENHANCE_YOUR_CALM or raw.closed
    finally:
        raw.close()
    assert_rss_bounded(before)
    assert_still_serves(server)


def test_hpack_bomb_is_refused(server):
    before = rss_kib(alpha_workers(server))
    raw = RawH2(server)
    try:
        # one 4000-byte field in the dynamic table, referenced 4000 times: 16 MB decoded
        block = get_block() + literal(b"x-big", b"b" * 4000, indexing=True) + b"\xbe" * 4000
        pieces = [block[i:i + 4000] for i in range(0, len(block), 4000)]
        data = frame(HEADERS, END_STREAM, 1, pieces[0])
        for i, piece in enumerate(pieces[1:], 1):
            data += frame(CONTINUATION, END_HEADERS if i == len(pieces) - 1 else 0, 1, piece)
        raw.send(data)
        frames = raw.frames(lambda got: any(k in (HEADERS, RST_STREAM, GOAWAY)
                                            for k, _, _, _ in got), 10.0)
        kinds = {k for k, _, s, _ in frames if s in (0, 1)}
        assert kinds & {HEADERS, RST_STREAM, GOAWAY} or raw.closed, frames
        # Refused (431, a reset or GOAWAY), never served: ":status: 200" is HPACK index 8.
        answers = [payload for k, _, s, payload in frames if k == HEADERS and s == 1]
        assert not any(payload[:1] == b"\x88" for payload in answers), answers
    finally:
        raw.close()
    assert_rss_bounded(before)
    assert_still_serves(server)


def test_garbage_after_preface_is_closed(server):
    raw = RawH2(server)
    try:
        raw.send(os.urandom(4096))
        frames = raw.frames(lambda got: goaway_code(got) is not None, 10.0)
        assert goaway_code(frames) is not None or raw.closed
    finally:
        raw.close()
    assert_still_serves(server)
