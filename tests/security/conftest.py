"""The hostile-tenant suite: site alpha's own code attacks site beta, bulkhead and the host.

Uses the integration harness (tests/integration/conftest.py). Each attack runs as alpha's CGI
script (attack.cgi, Python) inside alpha's confinement; each test asserts that the attack
failed and that beta is still served."""

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

# The integration harness, loaded under its own name (both files are called conftest.py).
_spec = importlib.util.spec_from_file_location(
    "integration_harness", Path(__file__).resolve().parents[1] / "integration" / "conftest.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules["integration_harness"] = harness  # dataclasses look their module up there
_spec.loader.exec_module(harness)
ALPHA_UID, BETA_UID = harness.ALPHA_UID, harness.BETA_UID
BulkheadServer, require_root_and_binaries = harness.BulkheadServer, harness.require_root_and_binaries
# SIGTERM ends the server with status 0, and no process of it met a sanitizer's report.
stop_and_check = harness.stop_and_check

ATTACK = Path(__file__).with_name("attack.cgi")


def dechunk(data: bytes) -> bytes:
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2:]
    return body


class Tenant:
    """A running server whose alpha site carries attack.cgi."""

    def __init__(self, server: BulkheadServer, started: str):
        self.server = server
        self.started = started  # how alpha's workers start: "fresh" or "standby"
        self.beta_public = server.beta_root / "public.txt"
        self.beta_private = server.beta_root / "private.txt"

    def attack(self, case: str, arg: str = "") -> dict:
        from urllib.parse import quote
        reply = self.server.get("alpha.test", f"/attack.cgi?case={case}&arg={quote(str(arg))}",
                                timeout=60)
        assert reply.status == 200, f"attack script did not run: {reply.status} {reply.body[:300]!r}"
        body = reply.body
        if (reply.header("Transfer-Encoding") or "").lower() == "chunked":
            body = dechunk(body)
        return json.loads(body)

    def beta_still_serves(self) -> None:
        reply = self.server.get("beta.test", "/public.txt")
        assert reply.status == 200 and b"beta public" in reply.body


# Every attack runs against a worker the master's child confined before exec ("fresh") and
# against one that was a standby and confined itself when it was given the site ("standby").
@pytest.fixture(scope="module", params=["fresh", "standby"])
def tenant(request):
    require_root_and_binaries()
    if not Path("/usr/bin/python3").exists():
        pytest.skip("needs /usr/bin/python3 for the attack script")
    # On demand, the first request takes the standby; at start-up, workers start afresh.
    alpha_workers = {"min": 0, "max": 1} if request.param == "standby" else {"min": 1, "max": 1}
    server = BulkheadServer(
        alpha_options={"workers": alpha_workers,
                       "cgi": {"extensions": [".cgi"], "timeout": "30s"},
                       "limits": {"pids": 48, "memory": "256M"},
                       "network": {"tcp_connect": [9]}},  # the discard port: nothing else
        beta_options={"workers": {"min": 1, "max": 1}},
        prefix="bulkhead-sec-")
    shutil.copy(ATTACK, server.alpha_root / "attack.cgi")
    os.chown(server.alpha_root / "attack.cgi", ALPHA_UID, ALPHA_UID)
    os.chmod(server.alpha_root / "attack.cgi", 0o755)
    for name, text, mode in (("public.txt", b"beta public\n", 0o644),
                             ("private.txt", b"beta private\n", 0o600)):
        path = server.beta_root / name
        path.write_bytes(text)
        os.chown(path, BETA_UID, BETA_UID)
        os.chmod(path, mode)
    server.start()
    yield Tenant(server, request.param)
    stop_and_check(server)
