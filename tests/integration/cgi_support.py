"""Shared by test_cgi.py and test_fastcgi.py: the two test sites with [site.cgi] and
[site.fastcgi] configured, the programs each site runs (shell, Perl, PHP), and an HTTP client
that reads every framing a handler's answer may have (Content-Length, chunked, close-delimited).

Built on conftest's BulkheadServer: the sites' document roots, users and logs are its own."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import ALPHA_UID, BETA_UID, BulkheadServer, pid_alive

CGI_TIMEOUT_S = 2
FASTCGI_TIMEOUT_S = 3
REQUEST_TIMEOUT = 15.0  # no single answer may take longer than this

# ---------------------------------------------------------------------------------------------
# the programs each site runs

SHELL = {
    "ids.cgi": """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
echo "uid=$(id -u) gid=$(id -g) pid=$$"
""",
    "echo.cgi": """#!/bin/sh
printf 'Content-Type: application/octet-stream\\n\\n'
exec cat
""",
    "stream.cgi": """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
for i in 1 2 3 4; do echo "tick $i"; sleep 0.4; done
""",
    "sleep.cgi": """#!/bin/sh
exec sleep 31
""",
    "env.cgi": """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
env
""",
}

PERL = {
    "ids.pl": """#!/usr/bin/perl
my ($gid) = split ' ', $(;
print "Content-Type: text/plain\\n\\n";
print "uid=$< gid=$gid pid=$$\\n";
""",
    "echo.pl": """#!/usr/bin/perl
binmode STDIN; binmode STDOUT;
$| = 1;
print "Content-Type: application/octet-stream\\n\\n";
my $buffer;
while (read(STDIN, $buffer, 65536)) { print $buffer; }
""",
    "stream.pl": """#!/usr/bin/perl
use Time::HiRes qw(sleep);
$| = 1;
print "Content-Type: text/plain\\n\\n";
for my $i (1..4) { print "tick $i\\n"; sleep 0.4; }
""",
    "sleep.pl": """#!/usr/bin/perl
sleep 32;
""",
    "env.pl": """#!/usr/bin/perl
print "Content-Type: text/plain\\n\\n";
print "$_=$ENV{$_}\\n" for sort keys %ENV;
""",
}

PHP = {
    "ids.php": """<?php
header('Content-Type: text/plain');
echo 'uid=', posix_getuid(), ' gid=', posix_getgid(), ' pid=', getmypid(), "\\n";
""",
    "echo.php": """<?php
header('Content-Type: application/octet-stream');
$in = fopen('php://input', 'rb');
while (!feof($in)) { echo fread($in, 65536); }
""",
    "stream.php": """<?php
header('Content-Type: text/plain');
while (ob_get_level() > 0) { ob_end_flush(); }
for ($i = 1; $i <= 4; $i++) { echo "tick $i\\n"; flush(); usleep(400000); }
""",
    "sleep.php": """<?php
file_put_contents('/tmp/sleep-php.pid', getmypid());
sleep(33);
echo "woke\\n";
""",
    "env.php": """<?php
header('Content-Type: text/plain');
foreach (getenv() as $k => $v) { echo "$k=$v\\n"; }
foreach ($_SERVER as $k => $v) { if (is_string($v)) echo "SERVER:$k=$v\\n"; }
foreach ($_ENV as $k => $v) { echo "ENV:$k=$v\\n"; }
""",
    "info.php": """<?php
header('Content-Type: text/plain');
foreach (['SCRIPT_NAME', 'PATH_INFO', 'SCRIPT_FILENAME', 'QUERY_STRING', 'REQUEST_URI',
          'REQUEST_METHOD', 'SERVER_NAME', 'SERVER_PORT', 'REMOTE_ADDR', 'CONTENT_TYPE',
          'CONTENT_LENGTH', 'HTTP_X_TEST', 'DOCUMENT_ROOT', 'HTTPS', 'GATEWAY_INTERFACE'] as $k) {
    echo $k, '=', $_SERVER[$k] ?? '(unset)', "\\n";
}
""",
    "read.php": """<?php
header('Content-Type: text/plain');
$data = @file_get_contents($_GET['path']);
echo $data === false ? "DENIED\\n" : "READ:" . $data;
""",
    "crash.php": """<?php
echo "about to die\\n";
posix_kill(posix_getpid(), 9);
""",
    "session.php": """<?php
session_start();
$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
header('Content-Type: text/plain');
echo 'n=', $_SESSION['n'], "\\n";
""",
    "upload.php": """<?php
header('Content-Type: text/plain');
$f = $_FILES['file'] ?? null;
if (!$f || $f['error'] !== UPLOAD_ERR_OK) { echo "error ", $f['error'] ?? 'none', "\\n"; exit; }
echo 'size=', filesize($f['tmp_name']), ' md5=', md5_file($f['tmp_name']), "\\n";
""",
    "stderr.php": """<?php
error_log('php-stderr-marker ' . $_GET['m']);
echo "ok\\n";
""",
    "status.php": """<?php
http_response_code(418);
header('X-From-Php: yes');
echo "short and stout\\n";
""",
    "index.php": """<?php echo "php index of ", $_SERVER['SCRIPT_NAME'], "\\n";
""",
    "big.php": """<?php
header('Content-Type: application/octet-stream');
$block = str_repeat("\\0", 65536);
for ($i = 0; $i < 96; $i++) { echo $block; flush(); }
""",
}

# CGI-only cases, in shell.
SHELL_EXTRA = {
    "garbage.cgi": """#!/bin/sh
echo "this is not a header"
echo "stderr-marker-garbage" >&2
""",
    "silent.cgi": """#!/bin/sh
echo "stderr-marker-silent" >&2
exit 3
""",
    "status.cgi": """#!/bin/sh
printf 'Status: 404 Not Here\\nContent-Type: text/plain\\nX-Script: yes\\n\\ngone\\n'
""",
    "local-redirect.cgi": """#!/bin/sh
printf 'Location: /cgi-bin/ids.cgi\\n\\n'
""",
    "static-redirect.cgi": """#!/bin/sh
printf 'Location: /target.txt\\n\\n'
""",
    "client-redirect.cgi": """#!/bin/sh
printf 'Location: http://example.test/elsewhere\\n\\n'
""",
    "length.cgi": """#!/bin/sh
printf 'Content-Type: text/plain\\nContent-Length: 6\\n\\nfixed\\n'
""",
    "noread.cgi": """#!/bin/sh
printf 'Content-Type: text/plain\\n\\nignored your body\\n'
""",
    "big.cgi": """#!/bin/sh
printf 'Content-Type: application/octet-stream\\n\\n'
exec head -c 6291456 /dev/zero
""",
    "background.cgi": """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
sleep 34 &
echo "left a child"
""",
}


def write_program(root: Path, relative: str, text: str, uid: int, mode: int = 0o755) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    for part in [path, *path.parents]:
        if part == root.parent:
            break
        os.lchown(part, uid, uid)
        if part.is_dir():
            os.chmod(part, 0o755)
    return path


def install_programs(server: BulkheadServer) -> None:
    """Every program in both sites (CGI ones under cgi-bin/, PHP at the root), plus the files
    the cross-site tests try to read."""
    for root, uid in ((server.alpha_root, ALPHA_UID), (server.beta_root, BETA_UID)):
        for name, text in {**SHELL, **PERL, **SHELL_EXTRA}.items():
            write_program(root, f"cgi-bin/{name}", text, uid)
        for name, text in PHP.items():
            write_program(root, name, text, uid, 0o644)
        write_program(root, "cgi-bin/not-executable.cgi", SHELL["ids.cgi"], uid, 0o644)
        write_program(root, "target.txt", "static target\n", uid, 0o644)
        write_program(root, "sub/index.php", PHP["index.php"], uid, 0o644)
        write_program(root, "private-0600.txt", f"private of uid {uid}\n", uid, 0o600)
        write_program(root, "public-0644.txt", f"world-readable of uid {uid}\n", uid, 0o644)


def handler_options(cgi_timeout: str = f"{CGI_TIMEOUT_S}s",
                    fastcgi_timeout: str = f"{FASTCGI_TIMEOUT_S}s",
                    processes: int = 2, command=None, socket_path: str | None = None,
                    workers=None) -> dict:
    """The keys of a site that turn on CGI (.cgi, .pl) and FastCGI (.php)."""
    fastcgi = {"extensions": [".php"], "processes": processes, "timeout": fastcgi_timeout}
    if socket_path:
        fastcgi["socket"] = socket_path
    else:
        fastcgi["command"] = command or ["/usr/bin/php-cgi"]
    options = {
        "index": ["index.php", "index.html"],
        "cgi": {"extensions": [".cgi", ".pl"], "timeout": cgi_timeout},
        "fastcgi": fastcgi,
    }
    if workers:
        options["workers"] = workers
    return options


def make_handler_server(make_server, alpha: dict | None = None, beta: dict | None = None,
                        start: bool = True) -> BulkheadServer:
    srv = make_server(start=False,
                      alpha_options={**handler_options(), **(alpha or {})},
                      beta_options={**handler_options(), **(beta or {})})
    install_programs(srv)
    if start:
        srv.start()
    return srv


def start_handler_server(alpha: dict | None = None, beta: dict | None = None) -> BulkheadServer:
    """For module-scoped fixtures (conftest's stop_and_check() stops it)."""
    srv = BulkheadServer(alpha_options={**handler_options(), **(alpha or {})},
                         beta_options={**handler_options(), **(beta or {})})
    install_programs(srv)
    return srv.start()


def error_log(server: BulkheadServer, site: str) -> str:
    try:
        return (server.log_dir / f"{site}.error.log").read_text(errors="replace")
    except FileNotFoundError:
        return ""


def wait_for_error_log(server: BulkheadServer, site: str, pattern: str, timeout: float = 5.0):
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = regex.search(error_log(server, site))
        if match:
            return match
        time.sleep(0.05)
    return None


def private_tmp(server: BulkheadServer, site: str) -> Path:
    """The host path of the site's private /tmp."""
    return server.state_dir / "sites" / site / "tmp"


def site_processes(uid: int) -> list:
    """(pid, cmdline) of every live process running as `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid or not pid_alive(int(entry)):
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append((int(entry), cmdline))
    return found


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ---------------------------------------------------------------------------------------------
# HTTP: every framing


@dataclass
class Answer:
    status: int
    reason: str
    headers: list
    body: bytes
    framing: str  # "length", "chunked", "close", "none"
    closed: bool  # the server closed the connection after it

    def header(self, name: str):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One connection; reads answers one by one, whatever their framing."""

    def __init__(self, server: BulkheadServer, timeout: float = REQUEST_TIMEOUT):
        self.sock = server.connect("127.0.0.1", timeout)
        self.timeout = timeout
        self.buffer = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def _fill(self, deadline: float) -> bool:
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no complete answer within {self.timeout}s; "
                                 f"have {self.buffer[:300]!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise AssertionError(f"no complete answer within {self.timeout}s; "
                                 f"have {self.buffer[:300]!r}") from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _take_line(self, deadline: float) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._fill(deadline):
                raise AssertionError(f"connection closed inside chunked framing: {self.buffer[:200]!r}")
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _take(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            if not self._fill(deadline):
                raise AssertionError(f"connection closed after {len(self.buffer)} of {size} bytes")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _chunked_body(self, deadline: float) -> bytes:
        body = b""
        while True:
            size = int(self._take_line(deadline).split(b";")[0], 16)
            if size == 0:
                while self._take_line(deadline):  # trailers, then the empty line
                    pass
                return body
            body += self._take(size, deadline)
            assert self._take(2, deadline) == b"\r\n", "chunk without CRLF"

    def answer(self, head_request: bool = False) -> Answer:
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\r\n\r\n" not in self.buffer:
                if not self._fill(deadline):
                    raise AssertionError(f"closed before an answer; have {self.buffer[:300]!r}")
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            match = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)$", lines[0])
            assert match, f"bad status line {lines[0]!r}"
            status = int(match.group(1))
            if status != 100:
                break
        headers = [(k.strip(), v.strip()) for k, _, v in (l.partition(":") for l in lines[1:])]
        answer = Answer(status, match.group(2), headers, b"", "none", False)
        if head_request or status in (204, 304):
            pass
        elif (answer.header("Transfer-Encoding") or "").lower() == "chunked":
            answer.framing = "chunked"
            answer.body = self._chunked_body(deadline)
        elif answer.header("Content-Length") is not None:
            answer.framing = "length"
            answer.body = self._take(int(answer.header("Content-Length")), deadline)
        else:
            answer.framing = "close"
            while self._fill(deadline):
                pass
            answer.body, self.buffer = self.buffer, b""
        if (answer.header("Connection") or "").lower() == "close":
            answer.closed = True
        return answer

    def send(self, method: str, host: str, target: str, body: bytes = b"", headers=(),
             version: str = "HTTP/1.1") -> None:
        lines = [f"{method} {target} {version}", f"Host: {host}", *headers]
        if body and not any(h.lower().startswith(("content-length:", "transfer-encoding:"))
                            for h in headers):
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def request(self, method: str, host: str, target: str, body: bytes = b"", headers=(),
                version: str = "HTTP/1.1") -> Answer:
        if len(body) <= 65536:
            self.send(method, host, target, body, headers, version)
            return self.answer(head_request=(method == "HEAD"))
        # A large body is sent while the answer is read, as real clients do: an application
        # that echoes as it reads would otherwise fill every buffer on the way and stall.
        sender = threading.Thread(target=self.send,
                                  args=(method, host, target, body, headers, version))
        sender.start()
        try:
            return self.answer(head_request=(method == "HEAD"))
        finally:
            sender.join(self.timeout)


def slow_download(server: BulkheadServer, target: str, limit_s: float = 60) -> tuple:
    """GETs `target` of alpha over HTTP/1.0 (the body ends when the server closes, so a cut-off
    shows as a short body) and reads it at about 1.3 MB/s through a small receive buffer.
    Returns (response head, body, seconds the client took)."""
    received = bytearray()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: alpha.test\r\n\r\n".encode())
        started = time.monotonic()
        while time.monotonic() < started + limit_s:
            chunk = sock.recv(64 * 1024)
            if not chunk:
                break
            received += chunk
            time.sleep(0.05)
        took = time.monotonic() - started
    end = received.index(b"\r\n\r\n") + 4
    return bytes(received[:end]), bytes(received[end:]), took


def fetch(server: BulkheadServer, host: str, target: str, method: str = "GET",
          body: bytes = b"", headers=(), version: str = "HTTP/1.1",
          timeout: float = REQUEST_TIMEOUT) -> Answer:
    """One request on its own connection (Connection: close)."""
    with Client(server, timeout) as client:
        return client.request(method, host, target, body,
                              [*headers, "Connection: close"] if version == "HTTP/1.1" else headers,
                              version)


def arrivals(server: BulkheadServer, host: str, target: str,
             timeout: float = REQUEST_TIMEOUT) -> list:
    """(seconds since the request, bytes) of every piece of the answer as it arrives."""
    pieces = []
    with server.connect("127.0.0.1", timeout) as sock:
        started = time.monotonic()
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                     .encode())
        deadline = started + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            pieces.append((time.monotonic() - started, chunk))
    return pieces
