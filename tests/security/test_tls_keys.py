"""Site alpha's own CGI and PHP code go after the TLS keys: alpha's own key file (root's, 0600),
beta's key, the descriptor alpha's workers hold (through /proc/<worker>/fd), and the workers'
memory. Every attempt must fail; the controls show the same probes succeed where they should."""

import json
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import (ALPHA_UID, BulkheadServer, dechunk,
                      require_root_and_binaries, stop_and_check)

HERE = Path(__file__).resolve().parent


class KeyThief:
    """A running TLS server whose site alpha carries attack.cgi and attack.php."""

    def __init__(self, server: BulkheadServer):
        self.server = server

    def attack(self, runner: str, case: str, arg="") -> dict:
        script = "/attack.cgi" if runner == "cgi" else "/attack.php"
        # Inside TLS: the worker that runs the script holds the key at that moment.
        reply = self.server.tls_get("alpha.test", f"{script}?case={case}&arg={quote(str(arg))}",
                                    timeout=60)
        assert reply.status == 200, f"{script} did not run: {reply.status} {reply.body[:300]!r}"
        body = reply.body
        if (reply.header("Transfer-Encoding") or "").lower() == "chunked":
            body = dechunk(body)
        return json.loads(body)

    def refused(self, runner: str, case: str, arg="") -> dict:
        outcome = self.attack(runner, case, arg)
        assert outcome["escaped"] is False, f"{runner} {case}({arg}) worked: {outcome['detail']}"
        reply = self.server.tls_get("beta.test", "/index.html")
        assert reply.status == 200, "beta stopped serving"
        return outcome

    def alpha_worker(self) -> int:
        return self.server.worker_pids("alpha")[0]

    def key_descriptor(self, pid: int, key: Path, timeout: float = 5.0) -> str:
        """/proc/<pid>/fd/<n> of the worker's descriptor on `key` (found as root; a worker
        that has just started may still be reading its start-up messages)."""
        deadline = time.monotonic() + timeout
        while True:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == str(key):
                        return f"/proc/{pid}/fd/{fd}"
                except OSError:
                    pass
            if time.monotonic() >= deadline:
                raise AssertionError(f"worker {pid} holds no descriptor on {key}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def thief():
    require_root_and_binaries()
    if not Path("/usr/bin/php-cgi").exists():
        pytest.skip("needs php-cgi (Debian package php-cgi; make test installs it)")
    server = BulkheadServer(
        tls=True,
        alpha_options={"cgi": {"extensions": [".cgi"], "timeout": "30s"},
                       "fastcgi": {"extensions": [".php"], "command": ["/usr/bin/php-cgi"],
                                   "processes": 1}},
        prefix="bulkhead-sec-tls-")
    for name in ("attack.cgi", "attack.php"):
        shutil.copy(HERE / name, server.alpha_root / name)
        os.chown(server.alpha_root / name, ALPHA_UID, ALPHA_UID)
        os.chmod(server.alpha_root / name, 0o755 if name.endswith(".cgi") else 0o644)
    server.start()
    yield KeyThief(server)
    stop_and_check(server)


RUNNERS = ["cgi", "php"]
LIST = {"cgi": "listdir", "php": "list"}


@pytest.mark.parametrize("runner", RUNNERS)
def test_cannot_read_own_sites_key_file(thief, runner):
    thief.refused(runner, "read", thief.server.alpha_key)


@pytest.mark.parametrize("runner", RUNNERS)
def test_cannot_read_other_sites_key_file(thief, runner):
    thief.refused(runner, "read", thief.server.beta_key)


@pytest.mark.parametrize("runner", RUNNERS)
def test_cannot_read_the_key_through_the_workers_descriptor(thief, runner):
    worker = thief.alpha_worker()
    thief.refused(runner, "read", thief.key_descriptor(worker, thief.server.alpha_key))


@pytest.mark.parametrize("runner", RUNNERS)
def test_cannot_list_the_workers_descriptors(thief, runner):
    thief.refused(runner, LIST[runner], f"/proc/{thief.alpha_worker()}/fd")


@pytest.mark.parametrize("runner", RUNNERS)
def test_cannot_open_the_workers_memory(thief, runner):
    thief.refused(runner, "open", f"/proc/{thief.alpha_worker()}/mem")


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("site", ["alpha", "beta"])
def test_does_not_inherit_a_key_descriptor(thief, runner, site):
    key = thief.server.alpha_key if site == "alpha" else thief.server.beta_key
    thief.refused(runner, "holds", key)


def test_cgi_inherits_no_server_descriptors_with_tls(thief):
    thief.refused("cgi", "inherited_fds")


# -- controls: the same probes succeed where they should, so the tests above can fail -------

@pytest.mark.parametrize("runner", RUNNERS)
def test_control_reads_a_readable_file(thief, runner):
    outcome = thief.attack(runner, "read", thief.server.alpha_root / "index.html")
    assert outcome["escaped"] is True, outcome["detail"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_control_opens_its_own_memory(thief, runner):
    outcome = thief.attack(runner, "open", "/proc/self/mem")
    assert outcome["escaped"] is True, outcome["detail"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_control_sees_its_own_descriptors(thief, runner):
    # The probe lists the script's own descriptors (its pipes or its FastCGI socket).
    outcome = thief.attack(runner, "holds", "nothing")
    assert re.search(r"(pipe|socket):\[\d+\]", outcome["detail"]), outcome["detail"]


def test_control_the_key_is_held_by_alpha_workers(thief):
    for worker in thief.server.worker_pids("alpha"):
        assert thief.key_descriptor(worker, thief.server.alpha_key)
