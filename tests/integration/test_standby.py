"""Standby workers (server.standby_workers): executed ahead of need, root and site-less until a
site needs a new worker. A standby holds nothing while it waits; once given a site it is
confined exactly like a worker the master's child confined before exec."""

import os
import re
import signal
import socket
import time

from conftest import ALPHA_UID, BETA_UID, DISPATCHER_UID, proc_status, wait_until_executed
from test_processes import assert_fully_unprivileged, fd_targets

ON_DEMAND = {"workers": {"min": 0, "max": 1}}
DEFAULT_STANDBYS = 2  # server.standby_workers


def wait_for_standbys(srv, count: int, timeout: float = 10.0, other_than=()) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [p for p in srv.standby_pids() if p not in other_than]
        if len(pids) == count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"expected {count} standby worker(s), have {srv.standby_pids()}:\n"
                         f"{srv.log}")


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def cgroup_lines(pid: int) -> list:
    return sorted(read(f"/proc/{pid}/cgroup").splitlines())


def mount_points(pid: int) -> list:
    return sorted(line.split()[4] for line in read(f"/proc/{pid}/mountinfo").splitlines())


def limits_line(pid: int, name: str) -> str:
    return next(line for line in read(f"/proc/{pid}/limits").splitlines() if line.startswith(name))


def numbered_fds(pid: int) -> dict:
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return out


def test_a_standby_is_root_but_holds_nothing(server):
    standby = wait_for_standbys(server, DEFAULT_STANDBYS)[0]
    wait_until_waiting_for_a_site(standby)
    status = proc_status(standby)
    assert status["Uid"].split()[0] == "0", "a standby keeps root until it is given a site"
    assert read(f"/proc/{standby}/cmdline") == "bulkhead-worker\0standby\0"
    fds = numbered_fds(standby)
    assert sorted(fds) == [0, 1, 2, 3], f"a standby holds only its standard descriptors and " \
                                        f"its channel to the master: {fds}"
    assert fds[0] == fds[1] == "/dev/null"
    assert fds[3].startswith("socket:")
    assert fds[2] == os.readlink(f"/proc/{server.master_pid}/fd/2"), "stderr is the server log"
    # Not yet in any site's cgroup or mount namespace: still where the master is.
    assert cgroup_lines(standby) == cgroup_lines(server.master_pid)
    assert os.readlink(f"/proc/{standby}/ns/mnt") == \
        os.readlink(f"/proc/{server.master_pid}/ns/mnt")
    assert limits_line(standby, "Max core file size").split()[4:6] == ["0", "0"]


POLL_SYSCALL = "7"  # x86_64: a standby waits for its site in poll(2) on its channel


def wait_until_waiting_for_a_site(pid: int, timeout: float = 5.0) -> None:
    """Until the standby is loaded and blocked on its channel (not still in the loader)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read(f"/proc/{pid}/comm").strip() == "bulkhead-worker" and \
                read(f"/proc/{pid}/syscall").split()[0] == POLL_SYSCALL:
            return
        time.sleep(0.02)
    raise AssertionError(f"standby {pid} is not waiting: {read(f'/proc/{pid}/syscall')}")


def test_a_cold_site_takes_the_standby_and_is_confined_like_a_fresh_worker(make_server):
    srv = make_server(beta_options=ON_DEMAND)
    standbys = wait_for_standbys(srv, DEFAULT_STANDBYS)
    assert srv.worker_pids("beta") == []
    assert srv.get("beta.test").status == 200
    (worker,) = srv.worker_pids("beta")
    assert worker in standbys, f"the cold site did not take a standby:\n{srv.log}"
    assert re.search(rf"started worker \d+ of site beta as pid {worker} \(uid {BETA_UID}\) "
                     r"from a standby", srv.log)
    wait_until_executed(worker)
    assert read(f"/proc/{worker}/cmdline").rstrip("\0") == "bulkhead-worker"
    assert_fully_unprivileged(worker, BETA_UID, BETA_UID, f"worker {worker} (was a standby)")

    # Compared with alpha's workers, which the master's child confined before exec.
    fresh = srv.worker_pids("alpha")[0]
    wait_until_executed(fresh)
    # Its seccomp filter is the last step before it says ready, a little after its exec.
    deadline = time.monotonic() + 5
    while proc_status(fresh)["Seccomp"] == "0" and time.monotonic() < deadline:
        time.sleep(0.02)
    for field in ("Seccomp", "NoNewPrivs", "CapBnd", "CapEff", "CapPrm"):
        assert proc_status(worker)[field] == proc_status(fresh)[field], field
    assert cgroup_lines(worker) == \
        sorted(line.replace("alpha", "beta") for line in cgroup_lines(fresh)), \
        "the worker is in beta's cgroups, as a fresh beta worker would be"
    assert os.readlink(f"/proc/{worker}/ns/mnt") != \
        os.readlink(f"/proc/{srv.master_pid}/ns/mnt"), "its own mount namespace"
    assert mount_points(worker) == mount_points(fresh), "the same private /tmp and /proc"
    for name in ("Max core file size", "Max open files", "Max processes"):
        assert limits_line(worker, name) == limits_line(fresh, name), name
    ours, theirs = numbered_fds(worker), numbered_fds(fresh)
    for fd in range(6):
        expected = theirs[fd].replace("alpha", "beta")
        if expected.startswith("socket:"):
            assert ours[fd].startswith("socket:"), (fd, ours[fd])
        else:
            assert ours[fd] == expected, (fd, ours[fd], expected)
    assert srv.get("beta.test").text == "<h1>beta</h1>\n"

    # A new standby takes the place of the one given away.
    replacement = wait_for_standbys(srv, DEFAULT_STANDBYS)
    assert worker not in replacement


def test_standby_workers_zero_starts_none_and_cold_sites_start_afresh(make_server):
    srv = make_server(server_options={"standby_workers": 0}, beta_options=ON_DEMAND)
    assert srv.get("beta.test").status == 200
    assert "standby" not in srv.log
    for pid in srv.all_children():
        wait_until_executed(pid)
        assert proc_status(pid)["Uid"].split()[0] in {str(DISPATCHER_UID), str(ALPHA_UID),
                                                      str(BETA_UID)}, "no child is root"


def test_a_killed_standby_is_replaced(make_server):
    srv = make_server()
    standby = wait_for_standbys(srv, DEFAULT_STANDBYS)[0]
    os.kill(standby, signal.SIGKILL)
    assert srv.wait_for_line(rf".*standby worker {standby} killed by signal 9.*", 5), srv.log
    replacement = wait_for_standbys(srv, DEFAULT_STANDBYS, timeout=10)
    assert standby not in replacement
    assert srv.get("alpha.test").status == 200


def test_reload_changes_how_many_standbys_wait(make_server):
    srv = make_server(server_options={"standby_workers": 3})
    first = wait_for_standbys(srv, 3)
    before = srv.line_count()
    srv.server_options["standby_workers"] = 0
    srv.write_config()
    os.kill(srv.master_pid, signal.SIGHUP)
    assert srv.wait_for_line(r".*reloaded:.*", 10, start=before), srv.log
    wait_for_standbys(srv, 0)
    deadline = time.monotonic() + 5
    while any(os.path.exists(f"/proc/{pid}") for pid in first) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in first), "the standbys were stopped"
    assert srv.get("alpha.test").status == 200


def test_a_standby_never_sees_a_client(make_server):
    """Connections reach workers only; the standby's descriptors stay the same under traffic."""
    srv = make_server(beta_options=ON_DEMAND)
    standby = wait_for_standbys(srv, DEFAULT_STANDBYS)[0]
    wait_until_waiting_for_a_site(standby)
    before = numbered_fds(standby)
    assert sorted(before) == [0, 1, 2, 3], before
    conns = []
    for _ in range(5):
        conn = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n")
        conns.append(conn)
    for conn in conns:
        assert conn.recv(100).startswith(b"HTTP/1.1 200")
    assert numbered_fds(standby) == before
    for conn in conns:
        conn.close()
