"""Site alpha's PHP, run by its own persistent php-cgi FastCGI processes, attacks site beta
and the host; every attack must fail and beta must keep serving."""

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import (ALPHA_UID, BETA_UID, BulkheadServer, dechunk,
                      require_root_and_binaries, stop_and_check)

ATTACK = Path(__file__).with_name("attack.php")


class PhpTenant:
    def __init__(self, server):
        self.server = server

    def attack(self, case, arg=""):
        from urllib.parse import quote
        reply = self.server.get("alpha.test", f"/attack.php?case={case}&arg={quote(str(arg))}", timeout=60)
        assert reply.status == 200, f"attack.php did not run: {reply.status} {reply.body[:300]!r}"
        body = reply.body
        if (reply.header("Transfer-Encoding") or "").lower() == "chunked":
            body = dechunk(body)
        return json.loads(body)

    def refused(self, case, arg=""):
        outcome = self.attack(case, arg)
        assert outcome["escaped"] is False, f"{case}({arg}) worked: {outcome['detail']}"
        reply = self.server.get("beta.test", "/public.txt")
        assert reply.status == 200 and b"beta public" in reply.body
        return outcome


# As in conftest.tenant: alpha's worker confined before exec, and one that was a standby.
@pytest.fixture(scope="module", params=["fresh", "standby"])
def php(request):
    require_root_and_binaries()
    if not Path("/usr/bin/php-cgi").exists():
        pytest.skip("needs php-cgi (Debian package php-cgi; make test installs it)")
    alpha_workers = {"min": 0, "max": 1} if request.param == "standby" else {"min": 1, "max": 1}
    server = BulkheadServer(
        alpha_options={"workers": alpha_workers, "fastcgi": {"extensions": [".php"], "command": ["/usr/bin/php-cgi"],
                                   "processes": 1}},
        prefix="bulkhead-sec-php-")
    shutil.copy(ATTACK, server.alpha_root / "attack.php")
    os.chown(server.alpha_root / "attack.php", ALPHA_UID, ALPHA_UID)
    for name, text, mode in (("public.txt", b"beta public\n", 0o644),
                             ("private.txt", b"beta private\n", 0o600)):
        path = server.beta_root / name
        path.write_bytes(text)
        os.chown(path, BETA_UID, BETA_UID)
        os.chmod(path, mode)
    server.start()
    yield PhpTenant(server)
    stop_and_check(server)


def test_php_runs_as_alpha(php):
    assert php.attack("whoami")["detail"] == f"{ALPHA_UID} {ALPHA_UID}"


def test_php_cannot_setuid_root(php):
    php.refused("setuid_root")


def test_php_cannot_read_beta_world_readable_file(php):
    php.refused("read", php.server.beta_root / "public.txt")


def test_php_cannot_read_beta_private_file(php):
    php.refused("read", php.server.beta_root / "private.txt")


def test_php_cannot_read_beta_file_through_own_symlink(php):
    php.refused("symlink_read", php.server.beta_root / "public.txt")


def test_php_cannot_list_beta_document_root(php):
    php.refused("list", php.server.beta_root)


def test_php_cannot_write_into_beta_document_root(php):
    php.refused("write", php.server.beta_root / "defaced.php")


def test_php_cannot_read_beta_worker_environment(php):
    php.refused("read", f"/proc/{php.server.worker_pids('beta')[0]}/environ")


def test_php_cannot_kill_beta_worker_or_the_master(php):
    php.refused("kill", php.server.worker_pids("beta")[0])
    php.refused("kill", php.server.master_pid)


def test_php_shell_sees_only_alpha_processes(php):
    listing = php.attack("exec", "ps -eo uid= | sort -u")["detail"].split()
    assert listing and set(listing) <= {str(ALPHA_UID)}, listing


def test_php_control_reads_its_own_files(php):
    assert php.attack("read", php.server.alpha_root / "index.html")["escaped"] is True
