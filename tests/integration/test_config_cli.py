"""The command line: `check`, `run` on bad input, exit statuses and their messages."""

import re
import subprocess

import pytest

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
