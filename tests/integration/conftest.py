"""Black-box harness for bulkhead's integration tests.

`BulkheadServer` writes a two-site configuration (alpha: uid/gid 40101, hosts alpha.test and
*.alpha.test; beta: uid/gid 40102, host beta.test; dispatcher: 40100) into a fresh temporary
directory, fills both document roots, runs `bulkhead run -c FILE` in the foreground, collects
its stderr in a background thread and stops it with SIGTERM (SIGKILL after a bound).

Everything is bounded in time and uses loopback addresses only. The tests need root (the
server refuses to start otherwise) and the built executables; without either they skip.

Run with Debian's interpreter:  /usr/bin/python3 -m pytest -q tests/integration
The build directory is $BULKHEAD_BUILD_DIR, by default <repository>/build.
Each server lives in a fresh mkdtemp() directory under $BULKHEAD_TEST_TMPDIR, by default
/var/tmp: bulkhead refuses site paths under /tmp (every site sees its own private /tmp).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The security suite loads this file by path: make its sibling modules importable either way.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import tls_certs  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("BULKHEAD_BUILD_DIR", str(REPO / "build")))
BULKHEAD = BUILD_DIR / "bulkhead"

DISPATCHER_UID = 40100
ALPHA_UID = 40101
BETA_UID = 40102

START_TIMEOUT = 20.0  # seconds until "listening on" and the dispatcher's "serving"
STOP_TIMEOUT = 10.0  # seconds after SIGTERM before SIGKILL

BIG_FILE_SIZE = 100 * 1024

# What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer write when they find
# something; a sanitizer build (make sanitize) runs every test with this checked.
SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer")

# Not /tmp: site roots under /tmp are a configuration error (the sites' private /tmp).
TEST_TMPDIR = os.environ.get("BULKHEAD_TEST_TMPDIR", "/var/tmp")


def big_file_content() -> bytes:
    """Deterministic, non-repeating-at-small-period content of alpha's 100 KiB file."""
    return bytes((i * 7 + i // 251) % 256 for i in range(BIG_FILE_SIZE))


# ---------------------------------------------------------------------------------------------
# skipping


def require_binaries() -> None:
    for name in ("bulkhead", "bulkhead-dispatcher", "bulkhead-worker"):
        path = BUILD_DIR / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.skip(f"{path} is missing: build first (cmake --build build) "
                        f"or set BULKHEAD_BUILD_DIR")


def require_root_and_binaries() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: bulkhead run starts each site's workers as the site's user")
    require_binaries()


# ---------------------------------------------------------------------------------------------
# TOML writing (just what the configuration needs)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_table(header: str, values: dict) -> str:
    lines = [header]
    lines += [f"{key} = {toml_value(value)}" for key, value in values.items() if value is not None]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# HTTP over raw sockets


class RawReply(bytes):
    """The bytes received; `.closed` is True when the peer closed (EOF or reset) before the
    timeout, False when the timeout ended the read."""

    closed: bool = False


def recv_all(sock: socket.socket, timeout: float) -> RawReply:
    """Reads until the peer closes or nothing arrives for `timeout` seconds (bounded overall
    by 4 x timeout + 5 s)."""
    chunks = []
    closed = False
    deadline = time.monotonic() + 4 * timeout + 5
    sock.settimeout(timeout)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        chunks.append(chunk)
    reply = RawReply(b"".join(chunks))
    reply.closed = closed
    return reply


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list  # [(name, value)] in order
    body: bytes

    def header(self, name: str):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_list(self, name: str) -> list:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def parse_responses(data: bytes, head_requests=()) -> list:
    """Splits a byte stream into responses (Content-Length framing; bulkhead always sends it).
    `head_requests` holds the indexes of responses that answer HEAD (they have no body)."""
    responses = []
    rest = bytes(data)
    while rest:
        end = rest.find(b"\r\n\r\n")
        if end < 0:
            raise AssertionError(f"incomplete response head: {rest[:200]!r}")
        head = rest[:end].decode("latin-1")
        rest = rest[end + 4:]
        lines = head.split("\r\n")
        match = re.match(r"(HTTP/\d\.\d) (\d{3}) ?(.*)$", lines[0])
        if not match:
            raise AssertionError(f"bad status line: {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        status = int(match.group(2))
        response = Response(status, match.group(3), match.group(1), headers, b"")
        length = response.header("Content-Length")
        no_body = len(responses) in head_requests or status == 304 or 100 <= status < 200 \
            or status == 204
        if not no_body and length is not None:
            n = int(length)
            if len(rest) < n:
                raise AssertionError(f"body shorter than Content-Length {n}: {len(rest)} bytes")
            response.body = rest[:n]
            rest = rest[n:]
        elif not no_body:
            response.body = rest  # read to close
            rest = b""
        responses.append(response)
    return responses


def parse_one(data: bytes, head: bool = False) -> Response:
    responses = parse_responses(data, head_requests=(0,) if head else ())
    assert len(responses) == 1, f"expected one response, got {len(responses)}: {data[:500]!r}"
    return responses[0]


def request_bytes(host: str | None, target: str = "/", method: str = "GET",
                  version: str = "HTTP/1.1", headers=(), body: bytes = b"") -> bytes:
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---------------------------------------------------------------------------------------------
# /proc helpers


def proc_status(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def pid_alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = text[text.rfind(")") + 2:].split()[0]
    return state != "Z"


def wait_until_executed(pid: int, timeout: float = 5.0) -> None:
    """A role's process is forked by the master and confines itself before exec: until its
    exec its name is still the master's ("bulkhead") and its ids may still be root's. A worker
    that was a standby (`bulkhead-worker standby`) confines itself after it is given its site
    and then clears the word "standby" from its command line. Waits (bounded) until either is
    done; the caller then checks what it runs as."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/comm") as comm:
                executed = comm.read().strip() != "bulkhead"
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                standby = b"\0standby\0" in cmdline.read()
            if executed and not standby:
                return
        except (FileNotFoundError, ProcessLookupError):
            return
        time.sleep(0.02)


def proc_children(pid: int) -> list:
    children = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    children += [int(c) for c in f.read().split()]
            except FileNotFoundError:
                pass
    except FileNotFoundError:
        pass
    return children


def socket_inodes(pid: int) -> set:
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except FileNotFoundError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            inodes.add(int(match.group(1)))
    return inodes


@dataclass
class TcpEntry:
    local_port: int
    remote_port: int
    state: str
    inode: int


def tcp_table() -> list:
    """Every TCP socket of this network namespace (IPv4 and IPv6)."""
    entries = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as table:
                next(table)
                for line in table:
                    cols = line.split()
                    local, remote, state, inode = cols[1], cols[2], cols[3], int(cols[9])
                    entries.append(TcpEntry(int(local.rsplit(":", 1)[1], 16),
                                            int(remote.rsplit(":", 1)[1], 16), state, inode))
        except FileNotFoundError:
            pass
    return entries


ESTABLISHED = "01"
LISTEN = "0A"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# the server


@dataclass
class Site:
    name: str
    uid: int
    hosts: list
    extra: dict = field(default_factory=dict)


class BulkheadServer:
    """One `bulkhead run` with the two test sites, in its own temporary directory.

    server_options / alpha_options / beta_options override or add keys of [server] and the
    sites' tables (a value None removes a default key). `listen` defaults to IPv4 and IPv6
    loopback with port 0."""

    def __init__(self, server_options=None, alpha_options=None, beta_options=None,
                 prefix="bulkhead-it-", tls=False):
        require_root_and_binaries()
        self.dir = Path(tempfile.mkdtemp(prefix=prefix, dir=TEST_TMPDIR))
        os.chmod(self.dir, 0o755)
        self.tls = tls
        self.state_dir = self.dir / "state"
        self.log_dir = self.dir / "log"
        self.jail_dir = self.state_dir / "dispatcher-jail"
        self.alpha_root = self.dir / "alpha"
        self.beta_root = self.dir / "beta"
        self.config_path = self.dir / "bulkhead.toml"
        self.server_options = {
            "listen": ["127.0.0.1:0", "[::1]:0"],
            "user": DISPATCHER_UID,
            "group": DISPATCHER_UID,
            "state_dir": str(self.state_dir),
            "log_dir": str(self.log_dir),
            "header_timeout": "2s",
            "shutdown_timeout": "5s",
        }
        self.server_options.update(server_options or {})
        self.alpha_options = {
            "name": "alpha", "hosts": ["alpha.test", "*.alpha.test"],
            "user": ALPHA_UID, "group": ALPHA_UID, "root": str(self.alpha_root),
            "workers": {"min": 2, "max": 4},
        }
        if tls:
            self.make_certificates()
            self.server_options["tls_listen"] = ["127.0.0.1:0"]
            self.alpha_options["tls"] = {"cert": str(self.alpha_cert), "key": str(self.alpha_key)}
        self.alpha_options.update(alpha_options or {})
        self.beta_options = {
            "name": "beta", "hosts": ["beta.test"],
            "user": BETA_UID, "group": BETA_UID, "root": str(self.beta_root),
        }
        if tls:
            self.beta_options["tls"] = {"cert": str(self.beta_cert), "key": str(self.beta_key)}
        self.beta_options.update(beta_options or {})
        self.proc = None
        self.lines = []
        self.lines_lock = threading.Condition()
        self.reader = None
        self.ports = {}  # "127.0.0.1" / "::1" -> port
        self.tls_ports = {}  # the same for server.tls_listen
        self.seen_pids = set()
        self.exit_code = None
        self.make_content()
        self.write_config()

    # -- files ------------------------------------------------------------------------------

    def config_text(self) -> str:
        return (toml_table("[server]", self.server_options) + "\n"
                + toml_table("[[site]]", self.alpha_options) + "\n"
                + toml_table("[[site]]", self.beta_options))

    def write_config(self) -> None:
        self.config_path.write_text(self.config_text())
        os.chmod(self.config_path, 0o644)

    def make_certificates(self) -> None:
        """A throwaway CA and one certificate per site (a chain: leaf, then the CA), under
        <dir>/tls; the keys are root's, mode 0600, as on a real host."""
        tls_dir = self.dir / "tls"
        tls_dir.mkdir(mode=0o700)
        self.ca = tls_certs.make_ca(tls_dir / "ca")
        self.ca_file = self.ca.cert
        self.alpha_cert, self.alpha_key = tls_certs.make_site_cert(
            self.ca, tls_dir / "alpha", ["alpha.test", "*.alpha.test"])
        self.beta_cert, self.beta_key = tls_certs.make_site_cert(
            self.ca, tls_dir / "beta", ["beta.test"])

    def ssl_context(self, alpn=("http/1.1",)) -> ssl.SSLContext:
        """A client context that trusts this server's test CA."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if alpn:
            context.set_alpn_protocols(list(alpn))
        return context

    def tls_connect(self, server_name: str | None, alpn=("http/1.1",), timeout: float = 5.0,
                    context: ssl.SSLContext | None = None) -> ssl.SSLSocket:
        """A TLS connection to the first tls_listen address, handshake done. With
        server_name None no SNI is sent (and the certificate's name is not checked)."""
        context = context or self.ssl_context(alpn)
        if server_name is None:
            context.check_hostname = False
        sock = socket.create_connection(("127.0.0.1", self.tls_port), timeout=timeout)
        try:
            return context.wrap_socket(sock, server_hostname=server_name)
        except BaseException:
            sock.close()
            raise

    def tls_get(self, host: str, target: str = "/", server_name: str | None = "",
                headers=(), method: str = "GET", timeout: float = 5.0) -> Response:
        """One HTTP/1.1 request over TLS with Connection: close. SNI is `host` unless
        `server_name` says otherwise (None: no SNI)."""
        name = host if server_name == "" else server_name
        hdrs = list(headers) + ["Connection: close"]
        with self.tls_connect(name, timeout=timeout) as sock:
            sock.sendall(request_bytes(host, target, method, "HTTP/1.1", hdrs))
            reply = recv_all(sock, timeout)
        return parse_one(reply, head=(method == "HEAD"))

    @property
    def tls_port(self) -> int:
        return self.tls_ports["127.0.0.1"]

    def make_content(self) -> None:
        # Owners are set below: every file and directory belongs to its site's user.
        def put(path: Path, content: bytes, mode: int = 0o644) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            os.chmod(path, mode)

        alpha, beta = self.alpha_root, self.beta_root
        put(alpha / "index.html", b"<h1>alpha</h1>\n")
        put(alpha / "secret.txt", b"alpha-secret-0600\n", 0o600)
        put(alpha / "sub" / "index.html", b"<p>alpha sub index</p>\n")
        put(alpha / "sub" / "page.txt", b"alpha sub page\n")
        put(alpha / "nodex" / "readme.txt", b"a directory without index\n")
        put(alpha / "big.bin", big_file_content())
        put(alpha / "style.css", b"body { color: red }\n")
        put(alpha / "doc.odt", b"not really an odt\n")
        put(alpha / "data.csv", b"a,b\n1,2\n")
        put(alpha / "empty.txt", b"")
        put(alpha / "caf\u00e9.txt", b"cafe\n")
        put(alpha / "a b" / "index.html", b"space dir\n")
        put(alpha / "unreadable.txt", b"root only\n", 0o000)
        os.mkfifo(alpha / "fifo")
        (alpha / "devnull").symlink_to("/dev/null")
        (alpha / "loop").symlink_to("loop")
        put(beta / "index.html", b"<h1>beta</h1>\n")
        put(beta / "only-beta.txt", b"beta only\n")
        # A symlink in beta's root to alpha's private file (absolute), and one relative.
        (beta / "steal-abs.txt").symlink_to(alpha / "secret.txt")
        (beta / "steal-rel.txt").symlink_to(os.path.relpath(alpha / "secret.txt", beta))
        (beta / "alpha-dir").symlink_to(alpha)
        for root, uid in ((alpha, ALPHA_UID), (beta, BETA_UID)):
            os.chmod(root, 0o755)
            for dirpath, dirnames, filenames in os.walk(root):
                os.lchown(dirpath, uid, uid)
                for name in dirnames:
                    os.chmod(Path(dirpath) / name, 0o755)
                for name in dirnames + filenames:
                    os.lchown(Path(dirpath) / name, uid, uid)
        os.chown(alpha / "unreadable.txt", 0, 0)  # mode 0000, root's: the site cannot read it

    # -- running ----------------------------------------------------------------------------

    def start(self, wait: bool = True) -> "BulkheadServer":
        self.proc = subprocess.Popen(
            [str(BULKHEAD), "run", "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            cwd=str(self.dir))
        self.seen_pids.add(self.proc.pid)
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        if wait:
            self.wait_ready()
        return self

    def _read_stderr(self) -> None:
        for raw_line in self.proc.stderr:
            line = raw_line.decode("utf-8", "replace").rstrip("\n")
            with self.lines_lock:
                self.lines.append(line)
                self.lines_lock.notify_all()
        with self.lines_lock:
            self.lines.append(None)  # EOF marker: every holder of the pipe closed it
            self.lines_lock.notify_all()

    @property
    def log(self) -> str:
        with self.lines_lock:
            return "\n".join(l for l in self.lines if l is not None)

    def stderr_closed(self) -> bool:
        with self.lines_lock:
            return bool(self.lines) and self.lines[-1] is None

    def wait_for_line(self, pattern: str, timeout: float, start: int = 0):
        """The first match of `pattern` (a regex) in the log lines from index `start`, waiting
        at most `timeout` seconds; None if none came."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.lines_lock:
            while True:
                for line in self.lines[start:]:
                    if line is not None:
                        match = regex.search(line)
                        if match:
                            return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.lines and self.lines[-1] is None):
                    return None
                self.lines_lock.wait(remaining)

    def line_count(self) -> int:
        with self.lines_lock:
            return len(self.lines)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        serving = self.wait_for_line(r"dispatcher\[\d+\] info: serving", START_TIMEOUT)
        if serving is None:
            code = self.proc.poll()
            self.kill()
            raise AssertionError(f"bulkhead did not start within {START_TIMEOUT}s "
                                 f"(exit code {code}); its log:\n{self.log}")
        wanted = len(self.server_options["listen"])
        wanted_tls = len(self.server_options.get("tls_listen") or [])
        while (len(self.ports) < wanted or len(self.tls_ports) < wanted_tls) \
                and time.monotonic() < deadline:
            for match in re.finditer(r"listening on (\S+):(\d+) \((https?)\)", self.log):
                ports = self.tls_ports if match.group(3) == "https" else self.ports
                ports[match.group(1).strip("[]")] = int(match.group(2))
            if len(self.ports) < wanted or len(self.tls_ports) < wanted_tls:
                time.sleep(0.05)
        assert len(self.ports) == wanted, f"listening lines missing:\n{self.log}"
        assert len(self.tls_ports) == wanted_tls, f"TLS listening lines missing:\n{self.log}"
        self.master_pid  # noqa: B018 - records the pids seen so far
        self.dispatcher_pid
        self.worker_pids()

    @property
    def port(self) -> int:
        return self.ports["127.0.0.1"]

    @property
    def port6(self) -> int:
        return self.ports["::1"]

    @property
    def master_pid(self) -> int:
        return self.proc.pid

    @property
    def dispatcher_pid(self) -> int:
        matches = re.findall(r"started dispatcher as pid (\d+)", self.log)
        assert matches, f"no dispatcher start in the log:\n{self.log}"
        pid = int(matches[-1])
        self.seen_pids.add(pid)
        return pid

    def worker_pids(self, site: str | None = None) -> list:
        """Live workers (per the log's start lines, checked against /proc: still a child of
        the master)."""
        children = set(proc_children(self.master_pid))
        pids = []
        for match in re.finditer(r"started worker \d+ of site (\S+) as pid (\d+)", self.log):
            pid = int(match.group(2))
            self.seen_pids.add(pid)
            if (site is None or match.group(1) == site) and pid in children and pid_alive(pid):
                pids.append(pid)
        return pids

    def standby_pids(self) -> list:
        """Live standby workers: started as standbys and not (yet) given to a site."""
        children = set(proc_children(self.master_pid))
        assigned = {int(m) for m in re.findall(r"started worker \d+ of site \S+ as pid (\d+)",
                                               self.log)}
        pids = []
        for match in re.finditer(r"started standby worker as pid (\d+)", self.log):
            pid = int(match.group(1))
            self.seen_pids.add(pid)
            if pid not in assigned and pid in children and pid_alive(pid):
                pids.append(pid)
        return pids

    def all_children(self) -> list:
        children = proc_children(self.master_pid)
        self.seen_pids.update(children)
        return children

    # -- traffic ----------------------------------------------------------------------------

    def connect(self, address: str = "127.0.0.1", timeout: float = 5.0) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        port = self.ports[address]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect((address, port))
        return sock

    def raw(self, data: bytes, address: str = "127.0.0.1", timeout: float = 5.0,
            shut_write: bool = False) -> RawReply:
        """Sends `data` on a new connection and returns everything received until the server
        closes or `timeout` seconds pass without a byte (`.closed` tells which)."""
        with self.connect(address, timeout) as sock:
            sock.sendall(data)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
            return recv_all(sock, timeout)

    def get(self, host: str | None, target: str = "/", address: str = "127.0.0.1",
            headers=(), method: str = "GET", version: str = "HTTP/1.1",
            timeout: float = 5.0) -> Response:
        """One request with Connection: close on a new connection; the parsed response."""
        hdrs = list(headers)
        if version == "HTTP/1.1" and not any(h.lower().startswith("connection:") for h in hdrs):
            hdrs.append("Connection: close")
        reply = self.raw(request_bytes(host, target, method, version, hdrs), address, timeout)
        return parse_one(reply, head=(method == "HEAD"))

    def url(self, path: str = "/", address: str = "127.0.0.1") -> str:
        host = f"[{address}]" if ":" in address else address
        return f"http://{host}:{self.ports[address]}{path}"

    # -- stopping ---------------------------------------------------------------------------

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Sends `sig` to the master and waits for it to exit (SIGKILL after `timeout`);
        returns its exit code (negative: killed by that signal)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            try:
                self.all_children()
                self.dispatcher_pid
                self.worker_pids()
            except Exception:
                pass
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.exit_code = self.proc.returncode
        if self.reader is not None:
            self.reader.join(5)
        return self.exit_code

    def kill(self) -> None:
        """SIGKILL to the master and to every process of this server we know of."""
        for pid in sorted(self.seen_pids | set(proc_children(self.proc.pid))):
            if pid != self.proc.pid and pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.exit_code = self.proc.returncode

    def leftover_processes(self) -> list:
        """Processes of this server still alive: pids we saw, and any process holding a
        descriptor into this server's temporary directory (workers hold their site logs)."""
        left = {pid for pid in self.seen_pids if pid_alive(pid)}
        prefix = str(self.dir) + "/"
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                for fd in os.listdir(f"/proc/{entry}/fd"):
                    try:
                        if os.readlink(f"/proc/{entry}/fd/{fd}").startswith(prefix):
                            left.add(int(entry))
                            break
                    except OSError:
                        pass
            except OSError:
                continue
        return sorted(p for p in left if pid_alive(p))

    def sanitizer_reports(self) -> list:
        """Reports of a sanitizer build (make sanitize) in the server log or a site's log (a
        worker's stderr), by log name; always empty for a normal build."""
        logs = {"server log": self.log}
        if self.log_dir.is_dir():
            for path in sorted(self.log_dir.iterdir()):
                logs[path.name] = path.read_text(errors="replace")
        return [f"sanitizer report in the {name}:\n{text}" for name, text in logs.items()
                if SANITIZER_REPORT.search(text)]

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        for pid in self.leftover_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_and_check(server: BulkheadServer) -> None:
    """Graceful stop for fixtures: SIGTERM must end the server with exit status 0, and no
    process of it may have met a sanitizer's report on the way."""
    try:
        code = server.stop()
        assert code == 0, f"bulkhead exited with {code} after SIGTERM; log:\n{server.log}"
        reports = server.sanitizer_reports()
        assert not reports, "\n".join(reports)
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def server():
    """One running server with the default configuration, shared by a test module."""
    require_root_and_binaries()
    srv = BulkheadServer()
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    yield srv
    stop_and_check(srv)


@pytest.fixture
def make_server():
    """Factory for servers with configuration tweaks; each is stopped (and must exit 0
    unless the test already stopped it) at the end of the test."""
    require_root_and_binaries()
    servers = []

    def make(start: bool = True, **options) -> BulkheadServer:
        srv = BulkheadServer(**options)
        servers.append(srv)
        if start:
            srv.start()
        return srv

    yield make
    errors = []
    for srv in servers:
        if srv.proc is None:
            srv.cleanup()
            continue
        already = srv.proc.poll() is not None
        try:
            code = srv.stop()
            if not already and code != 0:
                errors.append(f"exit {code} after SIGTERM; log:\n{srv.log}")
            errors.extend(srv.sanitizer_reports())
        finally:
            srv.cleanup()
    assert not errors, "\n".join(errors)


class Conn:
    """A client connection that reads responses one at a time (keep-alive, pipelining)."""

    def __init__(self, server: BulkheadServer, address: str = "127.0.0.1",
                 timeout: float = 5.0):
        self.sock = server.connect(address, timeout)
        self.timeout = timeout
        self.buffer = b""
        self.reset = False  # the server reset the connection (RST) instead of closing it

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no complete response within {self.timeout}s; "
                                 f"have {self.buffer[:300]!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"no complete response within {self.timeout}s; "
                                 f"have {self.buffer[:300]!r}") from None
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def response(self, head: bool = False) -> Response:
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill(deadline):
                raise AssertionError(f"connection closed before a response head; "
                                     f"have {self.buffer[:300]!r}")
        end = self.buffer.index(b"\r\n\r\n") + 4
        probe = parse_responses(self.buffer[:end], head_requests=(0,))[0]
        length = 0
        if not head and probe.status != 304 and probe.header("Content-Length") is not None:
            length = int(probe.header("Content-Length"))
        while len(self.buffer) < end + length:
            if not self._fill(deadline):
                raise AssertionError("connection closed inside a response body")
        probe.body = self.buffer[end:end + length]
        self.buffer = self.buffer[end + length:]
        return probe

    def request(self, host: str | None, target: str = "/", method: str = "GET",
                version: str = "HTTP/1.1", headers=(), body: bytes = b"") -> Response:
        self.send(request_bytes(host, target, method, version, headers, body))
        return self.response(head=(method == "HEAD"))

    def clean_end(self, wait: float = 5.0) -> bool:
        """True if the server ends the connection with a FIN (recv gives b"") within `wait`
        seconds; False on a reset or a timeout."""
        try:
            return self.closed_by_peer(wait) and not self.reset
        except OSError:
            return False

    def closed_by_peer(self, wait: float = 5.0) -> bool:
        """True if the server closes the connection (after any further bytes, which must be
        none) within `wait` seconds."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                self.reset = True
                return True
            if not chunk:
                return True
            self.buffer += chunk
        return False
