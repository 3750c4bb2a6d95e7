"""FastCGI: PHP through php-cgi, spawned and supervised by each site's workers as the site.
Persistent processes on kept connections (no fork per request), bodies streaming both ways,
PATH_INFO split like Apache and nginx, stderr records in the site's error log, timeouts that
kill and replace the application, crashes that are replaced, an existing server via `socket`,
and PHP confined to its own site's files."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from cgi_support import (FASTCGI_TIMEOUT_S, Client, arrivals, error_log, fetch, handler_options,
                         install_programs, make_handler_server, private_tmp, site_processes,
                         slow_download, start_handler_server, wait_for_error_log, wait_until,
                         write_program)
from conftest import ALPHA_UID, BETA_UID, pid_alive, proc_children, stop_and_check

SITES = {"alpha": ("alpha.test", ALPHA_UID), "beta": ("beta.test", BETA_UID)}


@pytest.fixture(scope="module")
def server():
    os.environ["BULKHEAD_SECRET"] = "x-must-not-leak"
    try:
        # One worker for alpha, so its php-cgi processes are easy to tell apart.
        srv = start_handler_server(alpha={"workers": {"min": 1, "max": 1}})
    finally:
        os.environ.pop("BULKHEAD_SECRET", None)
    yield srv
    stop_and_check(srv)


def php_processes(server, site: str = "alpha") -> list:
    """The php-cgi processes the site's workers of `server` run."""
    pids = []
    for worker in server.worker_pids(site):
        for child in proc_children(worker):
            try:
                with open(f"/proc/{child}/cmdline", "rb") as f:
                    if b"php-cgi" in f.read() and pid_alive(child):
                        pids.append(child)
            except FileNotFoundError:
                pass
    return sorted(pids)


def served_pid(server, host: str = "alpha.test") -> int:
    answer = fetch(server, host, "/ids.php")
    assert answer.status == 200, answer.text
    return int(re.search(r"pid=(\d+)", answer.text).group(1))


@pytest.mark.parametrize("site", SITES)
def test_php_runs_as_its_site(server, site):
    host, uid = SITES[site]
    answer = fetch(server, host, "/ids.php")
    assert answer.status == 200, answer.text + error_log(server, site) + server.log
    assert re.match(rf"uid={uid} gid={uid} pid=\d+", answer.text), answer.text
    assert answer.header("Content-Type").startswith("text/plain")


def test_applications_are_persistent_and_connections_reused(server):
    before = php_processes(server)
    assert len(before) == 2  # one worker × processes = 2
    pids = {served_pid(server) for _ in range(20)}
    assert pids <= set(before)
    with Client(server) as client:
        for _ in range(20):
            answer = client.request("GET", "alpha.test", "/ids.php")
            assert answer.status == 200
            assert not answer.closed
    assert php_processes(server) == before  # no process was started for any request


@pytest.mark.parametrize("site", SITES)
def test_post_body_of_several_mib_round_trips(server, site):
    body = os.urandom(4 * 1024 * 1024 + 777)
    answer = fetch(server, SITES[site][0], "/echo.php", method="POST", body=body,
                   headers=["Content-Type: application/octet-stream"], timeout=30)
    assert answer.status == 200
    assert len(answer.body) == len(body)
    assert answer.body == body


def test_upload_through_multipart_form(server):
    data = os.urandom(300_000)
    boundary = "bulkheadboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    answer = fetch(server, "alpha.test", "/upload.php", method="POST", body=body,
                   headers=[f"Content-Type: multipart/form-data; boundary={boundary}"])
    assert answer.status == 200
    import hashlib
    assert answer.text == f"size={len(data)} md5={hashlib.md5(data).hexdigest()}\n"


def test_sessions_work(server):
    first = fetch(server, "alpha.test", "/session.php")
    assert first.status == 200, first.text
    assert first.text == "n=1\n"
    cookie = first.header("Set-Cookie").split(";")[0]
    second = fetch(server, "alpha.test", "/session.php", headers=[f"Cookie: {cookie}"])
    assert second.text == "n=2\n"
    sessions = [p for p in private_tmp(server, "alpha").iterdir() if p.name.startswith("sess_")]
    assert sessions and all(p.stat().st_uid == ALPHA_UID for p in sessions)


def test_streaming_response_arrives_incrementally(server):
    pieces = arrivals(server, "alpha.test", "/stream.php")
    data = b"".join(chunk for _, chunk in pieces)
    assert data.count(b"tick") == 4, data
    first_tick = next(t for t, chunk in pieces if b"tick 1" in chunk)
    last_tick = next(t for t, chunk in pieces if b"tick 4" in chunk)
    assert last_tick - first_tick >= 0.8, pieces


def test_path_info_is_split_like_apache_and_nginx(server):
    answer = fetch(server, "alpha.test", "/info.php/a/b%20c?x=1", headers=["X-Test: yes"])
    assert answer.status == 200
    info = dict(line.split("=", 1) for line in answer.text.splitlines())
    assert info["SCRIPT_NAME"] == "/info.php"
    assert info["PATH_INFO"] == "/a/b c"
    assert info["SCRIPT_FILENAME"] == f"{server.alpha_root}/info.php"
    assert info["QUERY_STRING"] == "x=1"
    assert info["REQUEST_URI"] == "/info.php/a/b%20c?x=1"
    assert info["HTTP_X_TEST"] == "yes"
    assert info["SERVER_NAME"] == "alpha.test"
    assert info["SERVER_PORT"] == str(server.port)
    assert info["HTTPS"] == "(unset)"


def test_index_php_answers_for_a_directory(server):
    assert fetch(server, "alpha.test", "/").text == "php index of /index.php\n"
    assert fetch(server, "alpha.test", "/sub/").text == "php index of /sub/index.php\n"


def test_missing_php_file_is_404_without_asking_the_application(server):
    assert fetch(server, "alpha.test", "/missing.php").status == 404
    assert fetch(server, "alpha.test", "/missing.php/x").status == 404


def test_status_and_headers_from_php(server):
    answer = fetch(server, "alpha.test", "/status.php")
    assert answer.status == 418
    assert answer.header("X-From-Php") == "yes"
    assert answer.text == "short and stout\n"


def test_stderr_records_reach_the_error_log(server):
    answer = fetch(server, "alpha.test", "/stderr.php?m=q7w8e9")
    assert answer.status == 200
    assert wait_for_error_log(server, "alpha", r"fastcgi /stderr\.php: stderr: .*php-stderr-marker q7w8e9")
    assert "php-stderr-marker q7w8e9" not in error_log(server, "beta")


def test_no_meta_variable_leaks_the_server_environment(server):
    answer = fetch(server, "alpha.test", "/env.php", headers=["Proxy: http://evil.test/"])
    assert answer.status == 200
    assert "BULKHEAD_SECRET" not in answer.text
    assert "x-must-not-leak" not in answer.text
    assert "HTTP_PROXY" not in answer.text
    assert "SERVER:SCRIPT_NAME=/env.php" in answer.text


def test_php_cannot_read_another_sites_files(server):
    # Its own files, yes; beta's, neither the 0600 one (Unix permissions) nor the
    # world-readable one (Landlock), and not the server's log directory either.
    own = fetch(server, "alpha.test", f"/read.php?path={server.alpha_root}/private-0600.txt")
    assert own.text == f"READ:private of uid {ALPHA_UID}\n"
    for path in (f"{server.beta_root}/private-0600.txt", f"{server.beta_root}/public-0644.txt",
                 f"{server.log_dir}/beta.error.log", f"{server.beta_root}/read.php"):
        answer = fetch(server, "alpha.test", f"/read.php?path={path}")
        assert answer.text == "DENIED\n", path


def test_timeout_kills_the_application_and_the_other_site_is_served(server):
    pid_file = private_tmp(server, "alpha") / "sleep-php.pid"
    pid_file.unlink(missing_ok=True)
    result = {}

    def slow_request():
        started = time.monotonic()
        result["answer"] = fetch(server, "alpha.test", "/sleep.php")
        result["took"] = time.monotonic() - started

    slow = threading.Thread(target=slow_request)
    slow.start()
    assert wait_until(pid_file.exists, 5), "the script never ran"
    sleeper = int(pid_file.read_text())
    started = time.monotonic()
    assert fetch(server, "beta.test", "/ids.php").status == 200
    assert served_pid(server) != sleeper  # alpha's other process still serves
    assert time.monotonic() - started < 1.5
    slow.join(FASTCGI_TIMEOUT_S + 10)
    assert not slow.is_alive()
    assert result["answer"].status == 504
    assert FASTCGI_TIMEOUT_S - 0.5 <= result["took"] <= FASTCGI_TIMEOUT_S + 5
    assert wait_until(lambda: not pid_alive(sleeper), 3), "the stuck process is still there"
    assert wait_for_error_log(server, "alpha", r"fastcgi /sleep\.php: no answer .*site\.fastcgi\.timeout")
    # It was replaced: two processes again, and requests are served.
    assert wait_until(lambda: len(php_processes(server)) == 2, 5), php_processes(server)
    assert sleeper not in php_processes(server)
    assert all(fetch(server, "alpha.test", "/ids.php").status == 200 for _ in range(4))


def test_a_slow_reader_is_not_counted_as_application_silence(server):
    """site.fastcgi.timeout (3 s here) is for an application that says nothing. A 6 MiB answer
    that a slow client takes longer than that to read must arrive whole: while the answer
    waits for the client, the application is not silent, it is held back."""
    head, body, took = slow_download(server, "/big.php")
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert took > FASTCGI_TIMEOUT_S, f"the client was not slow enough ({took:.1f} s)"
    assert len(body) == 6 * 1024 * 1024, f"cut off after {len(body)} bytes in {took:.1f} s"
    assert body.count(0) == len(body)


def test_crashing_application_is_replaced(server):
    before = php_processes(server)
    answer = fetch(server, "alpha.test", "/crash.php")
    assert answer.status == 502
    assert wait_until(lambda: len(php_processes(server)) == 2 and
                      php_processes(server) != before, 5), (before, php_processes(server))
    assert len(set(before) - set(php_processes(server))) == 1  # exactly the one that died
    assert all(fetch(server, "alpha.test", "/ids.php").status == 200 for _ in range(6))
    assert wait_for_error_log(server, "alpha", r"fastcgi: application pid \d+ ended \(signal 9\); restarting")


def test_application_down_is_503_with_retry_after(make_server):
    srv = make_handler_server(make_server, alpha={"fastcgi": {
        "extensions": [".php"], "command": ["/bin/false"], "processes": 1, "timeout": "2s"}})
    fetch(srv, "alpha.test", "/ids.php")  # the pool starts on the first request that needs it
    assert wait_for_error_log(srv, "alpha", r"fastcgi: application pid \d+ ended")
    # While a replacement is being tried a request may wait for it (504 at the timeout);
    # once the application is down between attempts, the answer is 503 at once.
    deadline = time.time() + 15
    answer = fetch(srv, "alpha.test", "/ids.php")
    while answer.status != 503 and time.time() < deadline:
        answer = fetch(srv, "alpha.test", "/ids.php")
    assert answer.status == 503
    assert answer.header("Retry-After") == "1"
    assert fetch(srv, "beta.test", "/ids.php").status == 200


def test_application_that_cannot_start_is_503(make_server):
    srv = make_handler_server(make_server, alpha={"fastcgi": {
        "extensions": [".php"], "command": ["/usr/bin/no-such-php-cgi"], "processes": 1}})
    answer = fetch(srv, "alpha.test", "/ids.php")
    assert answer.status == 503
    assert wait_for_error_log(srv, "alpha", r"fastcgi: cannot start /usr/bin/no-such-php-cgi")


FAKE_APPLICATION = r'''
import os, socket, struct, sys
mode = sys.argv[1]
listener = socket.socket(fileno=0)
while True:
    conn, _ = listener.accept()
    data = b""
    while not data.endswith(struct.pack("!BBHHBx", 1, 5, 1, 0, 0)):  # the empty STDIN record
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    if mode == "bad-version":
        conn.sendall(struct.pack("!BBHHBx", 2, 6, 1, 5, 0) + b"hello")
    elif mode == "bad-head":
        body = b"no head at all\r\n\r\n"
        conn.sendall(struct.pack("!BBHHBx", 1, 6, 1, len(body), 0) + body +
                     struct.pack("!BBHHBx", 1, 3, 1, 8, 0) + bytes(8))
    elif mode == "wrong-id":
        conn.sendall(struct.pack("!BBHHBx", 1, 6, 7, 3, 0) + b"abc")
    conn.close()
'''


@pytest.mark.parametrize("mode", ["bad-version", "bad-head", "wrong-id"])
def test_malformed_application_output_is_502(make_server, mode):
    srv = make_handler_server(make_server, start=False, alpha={"fastcgi": {
        "extensions": [".php"], "processes": 1, "timeout": "3s",
        "command": ["/usr/bin/python3", "-I", "-S", "fake-fastcgi.py", mode]}})
    # The command runs in the document root; a path relative to it keeps the TOML simple.
    srv.alpha_options["fastcgi"]["command"][3] = str(srv.alpha_root / "fake-fastcgi.py")
    srv.write_config()
    write_program(srv.alpha_root, "fake-fastcgi.py", FAKE_APPLICATION, ALPHA_UID, 0o644)
    srv.start()
    answer = fetch(srv, "alpha.test", "/ids.php")
    assert answer.status == 502
    assert wait_for_error_log(srv, "alpha", r"fastcgi /ids\.php: (malformed|a FastCGI record)")


@pytest.fixture
def external_php(tmp_path_factory):
    """php-cgi listening on a Unix socket of its own, run by the test as alpha's user."""
    from conftest import TEST_TMPDIR
    import tempfile
    directory = tempfile.mkdtemp(prefix="bulkhead-fpm-", dir=TEST_TMPDIR)
    os.chmod(directory, 0o755)
    os.chown(directory, ALPHA_UID, ALPHA_UID)
    path = os.path.join(directory, "php.sock")

    def become_alpha():
        os.setgroups([])
        os.setgid(ALPHA_UID)
        os.setuid(ALPHA_UID)

    proc = subprocess.Popen(["/usr/bin/php-cgi", "-b", path], preexec_fn=become_alpha,
                            env={"PHP_FCGI_CHILDREN": "2", "PHP_FCGI_MAX_REQUESTS": "0",
                                 "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: os.path.exists(path), 5), "php-cgi -b did not listen"
    yield path
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    subprocess.run(["pkill", "-KILL", "-U", str(ALPHA_UID), "-f", f"php-cgi -b {path}"])
    import shutil
    shutil.rmtree(directory, ignore_errors=True)


def test_socket_uses_an_existing_fastcgi_server(make_server, external_php):
    srv = make_handler_server(make_server, alpha=handler_options(socket_path=external_php))
    with Client(srv) as client:
        for _ in range(5):
            answer = client.request("GET", "alpha.test", "/ids.php")
            assert answer.status == 200, answer.text
            assert answer.text.startswith(f"uid={ALPHA_UID}")
    body = os.urandom(1024 * 1024)
    assert fetch(srv, "alpha.test", "/echo.php", method="POST", body=body).body == body
    # Pools start on the first request that needs them: after the requests, none was started.
    assert php_processes(srv) == []  # alpha spawns nothing: the server is external


def test_socket_that_nobody_listens_on_is_503(make_server, tmp_path):
    srv = make_handler_server(make_server, alpha=handler_options(
        socket_path="/var/tmp/bulkhead-no-such-dir/php.sock"))
    answer = fetch(srv, "alpha.test", "/ids.php")
    assert answer.status == 503
    assert answer.header("Retry-After") == "1"


def test_applications_stop_with_the_server(make_server):
    srv = make_handler_server(make_server)
    assert fetch(srv, "alpha.test", "/ids.php").status == 200
    assert fetch(srv, "beta.test", "/ids.php").status == 200
    pids = php_processes(srv, "alpha") + php_processes(srv, "beta")
    # Pools start on a worker's first PHP request: at least the two that answered, 2 each.
    assert len(pids) >= 2 * 2
    assert srv.stop() == 0
    assert wait_until(lambda: not any(pid_alive(p) for p in pids), 5)
