"""The command line: `check`, `run` on bad input, exit statuses and their messages; the
certificate checks of [site.tls] as `check`, `run` and a reload report them."""

import calendar
import os
import re
import signal
import subprocess
import time

import pytest

import tls_certs
from conftest import BULKHEAD, BulkheadServer, free_port, require_binaries

CLI_TIMEOUT = 15


def run_cli(*args, prefix=()):
    require_binaries()
    return subprocess.run([*prefix, str(BULKHEAD), *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)


AS_NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


@pytest.fixture
def unstarted():
    """A server directory with a valid configuration and content, not running."""
    srv = BulkheadServer()
    yield srv
    srv.cleanup()


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` that contains `needle`."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the configuration")


def problem_lines(stderr: str, path) -> list:
    """(line, column, message) of every FILE:LINE:COLUMN: line on stderr."""
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+):(\d+): (.+)$")
    found = []
    for line in stderr.splitlines():
        match = pattern.match(line)
        if match:
            found.append((int(match.group(1)), int(match.group(2)), match.group(3)))
    return found


def test_version_flag_prints_the_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert re.search(r"bulkhead \d+\.\d+", result.stdout + result.stderr)


def test_help_flag_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "check", "demo"):
        assert command in result.stdout


def test_no_command_is_an_error():
    result = run_cli()
    assert result.returncode != 0


def test_check_good_config_exits_0_and_prints_the_plan(unstarted):
    result = run_cli("check", "-c", str(unstarted.config_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in ("alpha", "beta", "alpha.test", "*.alpha.test", "beta.test", "40101", "40102",
                 str(unstarted.alpha_root), str(unstarted.beta_root)):
        assert text in out, f"{text!r} missing from the plan:\n{out}"


def test_check_works_without_root(unstarted):
    result = run_cli("check", "-c", str(unstarted.config_path), prefix=AS_NOBODY)
    assert result.returncode == 0, result.stderr
    assert "alpha.test" in result.stdout


def add_after(text: str, anchor: str, addition: str, occurrence: int = 1) -> str:
    """Inserts `addition` as a line after the `occurrence`-th line containing `anchor`."""
    lines = text.splitlines()
    seen = 0
    for index, line in enumerate(lines):
        if anchor in line:
            seen += 1
            if seen == occurrence:
                lines.insert(index + 1, addition)
                return "\n".join(lines) + "\n"
    raise AssertionError(f"{anchor!r} not found")


def replace_in_site(text: str, site: str, old: str, new: str) -> str:
    head, marker, tail = text.partition(f'name = "{site}"')
    assert marker and old in tail
    return head + marker + tail.replace(old, new, 1)


BAD_CONFIGS = {
    "unknown_key": (lambda t, s: add_after(t, "header_timeout", "frobnicate = 1"),
                    "frobnicate", "frobnicate"),
    "duplicate_host_across_sites": (
        lambda t, s: replace_in_site(t, "beta", '"beta.test"]', '"beta.test", "alpha.test"]'),
        '"beta.test", "alpha.test"', "alpha.test"),
    "site_uid_0": (lambda t, s: replace_in_site(t, "beta", "user = 40102", "user = 0"),
                   "user = 0", "root"),
    "missing_root": (
        lambda t, s: replace_in_site(t, "beta", str(s.beta_root), str(s.dir / "no-such-dir")),
        "no-such-dir", "no-such-dir"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_check_bad_config_exits_1_with_file_line_column(unstarted, case):
    mutate, line_needle, message_needle = BAD_CONFIGS[case]
    text = mutate(unstarted.config_text(), unstarted)
    path = unstarted.dir / f"{case}.toml"
    path.write_text(text)
    result = run_cli("check", "-c", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    problems = problem_lines(result.stderr, path)
    assert problems, f"no FILE:LINE:COLUMN: line:\n{result.stderr}"
    expected_line = line_of(text, line_needle)
    assert any(line == expected_line and message_needle in message
               for line, _, message in problems), \
        f"expected a problem on line {expected_line} mentioning {message_needle!r}:\n" \
        f"{result.stderr}"
    assert all(column >= 1 for _, column, _ in problems)


def test_check_reports_every_problem_at_once(unstarted):
    text = unstarted.config_text()
    for case in BAD_CONFIGS.values():
        text = case[0](text, unstarted)
    path = unstarted.dir / "all-bad.toml"
    path.write_text(text)
    result = run_cli("check", "-c", str(path))
    assert result.returncode == 1
    problems = problem_lines(result.stderr, path)
    lines = {line for line, _, _ in problems}
    for _, line_needle, _ in BAD_CONFIGS.values():
        assert line_of(text, line_needle) in lines, result.stderr


def test_check_missing_file_exits_1_naming_it(unstarted):
    path = unstarted.dir / "absent.toml"
    result = run_cli("check", "-c", str(path))
    assert result.returncode == 1
    assert str(path) in result.stderr


def test_run_bad_config_exits_1_and_starts_nothing(unstarted):
    path = unstarted.dir / "bad.toml"
    path.write_text(add_after(unstarted.config_text(), "header_timeout", "frobnicate = 1"))
    result = run_cli("run", "-c", str(path))
    assert result.returncode == 1
    assert problem_lines(result.stderr, path)
    assert "listening on" not in result.stderr
    assert "started" not in result.stderr


def test_run_as_non_root_exits_2_saying_root_is_needed(unstarted):
    result = run_cli("run", "-c", str(unstarted.config_path), prefix=AS_NOBODY)
    assert result.returncode == 2, result.stderr
    assert "root" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, "a one-line reason"
    assert "listening on" not in result.stderr


def test_second_server_on_same_port_exits_2_naming_the_address(make_server):
    port = free_port()
    first = make_server(server_options={"listen": [f"127.0.0.1:{port}"]})
    assert first.port == port
    second = make_server(start=False, server_options={"listen": [f"127.0.0.1:{port}"]})
    result = run_cli("run", "-c", str(second.config_path))
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "started worker" not in result.stderr
    # The first server is unharmed.
    assert first.get("alpha.test").text == "<h1>alpha</h1>\n"


def test_check_unknown_host_naming_no_site_is_an_error(unstarted):
    text = add_after(unstarted.config_text(), "header_timeout", 'unknown_host = "gamma"')
    path = unstarted.dir / "gamma.toml"
    path.write_text(text)
    result = run_cli("check", "-c", str(path))
    assert result.returncode == 1
    problems = problem_lines(result.stderr, path)
    assert any(line == line_of(text, "gamma") and "gamma" in message
               for line, _, message in problems), result.stderr


def test_check_prints_unknown_host_policy_and_timeouts(unstarted):
    result = run_cli("check", "-c", str(unstarted.config_path))
    assert result.returncode == 0
    assert "421" in result.stdout
    assert "2s" in result.stdout


# -- [site.tls]: the certificate checks -------------------------------------------------------


@pytest.fixture
def tls_unstarted():
    """Both sites with TLS (a chain of two each, valid 30 days), not running."""
    srv = BulkheadServer(tls=True, prefix="bulkhead-cli-tls-")
    yield srv
    srv.cleanup()


def not_after(cert) -> str:
    """The leaf's last day, "2026-06-05", as bulkhead prints it (UTC)."""
    out = subprocess.run([tls_certs.OPENSSL, "x509", "-in", str(cert), "-noout", "-enddate"],
                         capture_output=True, text=True, check=True, timeout=CLI_TIMEOUT).stdout
    stamp = time.strptime(out.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    return time.strftime("%Y-%m-%d", time.gmtime(calendar.timegm(stamp)))


def give_alpha(srv, cert=None, key=None, **tls_options):
    """Points alpha's [site.tls] at other files (or adds keys) and rewrites the configuration;
    returns its text."""
    tls = dict(srv.alpha_options["tls"])
    tls.update({k: str(v) for k, v in (("cert", cert), ("key", key)) if v is not None})
    tls.update(tls_options)
    srv.alpha_options["tls"] = tls
    srv.write_config()
    return srv.config_text()


def position_of(text: str, value: str) -> tuple:
    """(line, column) of the quoted `value` in the configuration text."""
    for number, line in enumerate(text.splitlines(), 1):
        index = line.find(f'"{value}"')
        if index >= 0:
            return number, index + 1
    raise AssertionError(f"{value!r} not in the configuration")


def test_check_prints_the_tls_plan(tls_unstarted):
    result = run_cli("check", "-c", str(tls_unstarted.config_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "no warnings for valid certificates"
    out = result.stdout
    cert = tls_unstarted.alpha_cert
    assert f"cert {cert} (chain of 2, valid until {not_after(cert)}), key " in out, out
    assert "tls versions    1.2 and 1.3; ciphers default; suites default" in out
    assert "ocsp stapling   none" in out
    assert "https           http served too, no HSTS" in out
    assert re.search(r"tls_listen +127\.0\.0\.1:0", out)


def test_check_prints_redirect_hsts_and_min_version(tls_unstarted):
    give_alpha(tls_unstarted, min_version="1.3", redirect_http=True, hsts="365d",
               hsts_include_subdomains=True)
    result = run_cli("check", "-c", str(tls_unstarted.config_path))
    assert result.returncode == 0, result.stderr
    assert "1.3 only" in result.stdout
    assert "http redirected to https (308), HSTS max-age 365d with subdomains" in result.stdout


def test_check_expired_certificate_is_an_error_at_the_cert_key(tls_unstarted):
    srv = tls_unstarted
    cert, _ = tls_certs.make_site_cert(srv.ca, srv.dir / "tls" / "expired", ["alpha.test"],
                                       days=-1, key=srv.alpha_key)
    text = give_alpha(srv, cert=cert)
    result = run_cli("check", "-c", str(srv.config_path))
    assert result.returncode == 1, result.stdout
    line, column = position_of(text, str(cert))
    assert problem_lines(result.stderr, srv.config_path) == [
        (line, column, f"site alpha: certificate {cert} expired on 2020-02-01; renew it")], \
        result.stderr


def test_check_warns_of_a_certificate_expiring_within_14_days(tls_unstarted):
    srv = tls_unstarted
    cert, _ = tls_certs.make_site_cert(srv.ca, srv.dir / "tls" / "soon", ["alpha.test"],
                                       days=5, key=srv.alpha_key)
    text = give_alpha(srv, cert=cert)
    result = run_cli("check", "-c", str(srv.config_path))
    assert result.returncode == 0, "a warning, not an error:\n" + result.stderr
    line, column = position_of(text, str(cert))
    assert problem_lines(result.stderr, srv.config_path) == [
        (line, column, f"warning: site alpha: certificate {cert} expires on {not_after(cert)}, "
                       "in 5 days; renew it (SIGHUP puts a renewed one in place)")], result.stderr
    assert "site alpha" in result.stdout, "the plan is printed all the same"


def test_check_key_of_another_certificate_is_an_error_at_the_key_key(tls_unstarted):
    srv = tls_unstarted
    text = give_alpha(srv, key=srv.beta_key)
    result = run_cli("check", "-c", str(srv.config_path))
    assert result.returncode == 1
    line, column = position_of(text, str(srv.beta_key))
    problems = problem_lines(result.stderr, srv.config_path)
    assert len(problems) == 1, result.stderr
    assert problems[0][:2] == (line, column)
    assert problems[0][2].startswith(
        f"site alpha: key {srv.beta_key} does not match certificate {srv.alpha_cert}"), \
        result.stderr


def test_check_garbage_certificate_and_missing_key_are_both_reported(tls_unstarted):
    srv = tls_unstarted
    garbage = srv.dir / "tls" / "garbage.crt"
    garbage.write_text("not a certificate\n")
    missing = srv.dir / "tls" / "missing.key"
    text = give_alpha(srv, cert=garbage, key=missing)
    result = run_cli("check", "-c", str(srv.config_path))
    assert result.returncode == 1
    assert problem_lines(result.stderr, srv.config_path) == [
        (*position_of(text, str(garbage)),
         f"site alpha: certificate {garbage} holds no PEM certificate; give the chain in PEM "
         "(-----BEGIN CERTIFICATE-----), leaf first"),
        (*position_of(text, str(missing)),
         f"site alpha: cannot read key {missing}: No such file or directory"),
    ], result.stderr


def test_check_bad_cipher_list_is_an_error_at_its_value(tls_unstarted):
    srv = tls_unstarted
    text = give_alpha(srv, ciphers="ECDHE+AESGCM:NO-SUCH-CIPHER")
    result = run_cli("check", "-c", str(srv.config_path))
    assert result.returncode == 1
    line, column = position_of(text, "ECDHE+AESGCM:NO-SUCH-CIPHER")
    problems = problem_lines(result.stderr, srv.config_path)
    assert [(l, c) for l, c, _ in problems] == [(line, column)], result.stderr
    assert problems[0][2].startswith(
        'site.tls.ciphers: "NO-SUCH-CIPHER" names no cipher OpenSSL knows'), result.stderr


def test_check_without_root_warns_that_it_cannot_read_a_root_only_key(tls_unstarted):
    srv = tls_unstarted
    os.chmod(srv.dir / "tls", 0o755)  # the certificates are public; the keys stay 0600, root's
    result = run_cli("check", "-c", str(srv.config_path), prefix=AS_NOBODY)
    assert result.returncode == 0, result.stderr
    for key in (srv.alpha_key, srv.beta_key):
        assert f"warning: site {key.stem}: cannot read key {key} as uid 65534 (Permission " \
               "denied); run check as root to test it against the certificate" in result.stderr


def test_run_refuses_an_expired_certificate(tls_unstarted):
    srv = tls_unstarted
    cert, _ = tls_certs.make_site_cert(srv.ca, srv.dir / "tls" / "expired", ["alpha.test"],
                                       days=-1, key=srv.alpha_key)
    give_alpha(srv, cert=cert)
    result = run_cli("run", "-c", str(srv.config_path))
    assert result.returncode == 1
    assert f"certificate {cert} expired on 2020-02-01" in result.stderr
    assert "listening on" not in result.stderr


def test_run_logs_the_expiry_warning_and_opens_the_tls_listener(make_server):
    srv = make_server(start=False, tls=True)
    cert, _ = tls_certs.make_site_cert(srv.ca, srv.dir / "tls" / "soon", ["alpha.test"],
                                       days=5, key=srv.alpha_key)
    give_alpha(srv, cert=cert)
    srv.start()
    assert re.search(rf"master\[\d+\] warning: {re.escape(str(srv.config_path))}:\d+:\d+: "
                     rf"site alpha: certificate {re.escape(str(cert))} expires on ", srv.log), \
        srv.log
    assert srv.tls_port > 0, "listening on ADDR:PORT (https)"
    assert "TLS is not available" not in srv.log


def test_reload_with_a_renewed_certificate_replaces_the_sites_workers(make_server):
    """The configuration text stays the same; the certificate file's contents change."""
    srv = make_server(tls=True)
    alpha_before = set(srv.worker_pids("alpha"))
    beta_before = set(srv.worker_pids("beta"))
    before = srv.line_count()
    os.kill(srv.master_pid, signal.SIGHUP)
    assert srv.wait_for_line(r"reload: the configuration is unchanged", 10, start=before), \
        "the same files are no change"
    tls_certs.make_site_cert(srv.ca, srv.dir / "tls" / "alpha", ["alpha.test", "*.alpha.test"],
                             days=60, key=srv.alpha_key)  # renewed in place
    before = srv.line_count()
    os.kill(srv.master_pid, signal.SIGHUP)
    assert srv.wait_for_line(r"reloaded: 2 site\(s\)", 10, start=before), srv.log[-3000:]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and set(srv.worker_pids("alpha")) & alpha_before:
        time.sleep(0.1)
    assert alpha_before and not set(srv.worker_pids("alpha")) & alpha_before, \
        "alpha's workers were replaced"
    assert set(srv.worker_pids("beta")) == beta_before, "beta kept its workers"
    reply = srv.tls_get("alpha.test", "/index.html")
    assert reply.status == 200 and reply.body == b"<h1>alpha</h1>\n"


def test_a_key_that_cannot_be_opened_fails_the_worker_start_and_says_why(make_server):
    """The master opens the key for each new worker; without it that start fails, logged with
    the path and errno, and is retried with back-off until the key is back."""
    srv = make_server(tls=True)
    hidden = srv.alpha_key.with_suffix(".away")
    os.rename(srv.alpha_key, hidden)
    try:
        before = srv.line_count()
        victim = srv.worker_pids("alpha")[0]
        os.kill(victim, signal.SIGKILL)
        assert srv.wait_for_line(rf"cannot open {re.escape(str(srv.alpha_key))} for worker \d+ "
                                 r"of site alpha: No such file or directory", 15, start=before), \
            srv.log[-3000:]
    finally:
        os.rename(hidden, srv.alpha_key)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(srv.worker_pids("alpha")) < 2:
        time.sleep(0.1)
    assert len(srv.worker_pids("alpha")) == 2, srv.log[-3000:]
    reply = srv.tls_get("alpha.test", "/index.html")
    assert reply.status == 200 and reply.body == b"<h1>alpha</h1>\n"
