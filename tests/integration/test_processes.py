"""The process tree: identities, confinement, who holds client connections, supervision and
stopping."""

import os
import signal
import socket
import threading
import time

import pytest

from conftest import (ALPHA_UID, BETA_UID, DISPATCHER_UID, ESTABLISHED, LISTEN, Conn,
                      pid_alive, proc_status, socket_inodes, tcp_table, wait_until_executed)

SITE_UIDS = {"alpha": ALPHA_UID, "beta": BETA_UID}


def assert_fully_unprivileged(pid: int, uid: int, gid: int, what: str) -> None:
    status = proc_status(pid)
    assert status["Uid"].split() == [str(uid)] * 4, f"{what}: Uid {status['Uid']}"
    assert status["Gid"].split() == [str(gid)] * 4, f"{what}: Gid {status['Gid']}"
    groups = status.get("Groups", "").split()
    assert groups in ([], [str(gid)]), f"{what}: supplementary groups {groups}"
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        if cap in status:
            assert int(status[cap], 16) == 0, f"{what}: {cap} = {status[cap]}"
    assert status.get("NoNewPrivs") == "1", f"{what}: NoNewPrivs {status.get('NoNewPrivs')}"


def test_process_tree_is_master_dispatcher_and_configured_workers(server):
    alpha, beta = server.worker_pids("alpha"), server.worker_pids("beta")
    assert len(alpha) == 2, f"alpha has workers.min = 2: {alpha}\n{server.log}"
    assert len(beta) == 1, f"beta has the default minimum of one worker: {beta}"
    # The standbys are started after the site workers: wait for them.
    deadline = time.monotonic() + 10
    while len(server.standby_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    standbys = server.standby_pids()
    assert len(standbys) == 2, f"server.standby_workers is 2 by default: {standbys}"
    children = set(server.all_children())
    assert children == set(alpha) | set(beta) | {server.dispatcher_pid} | set(standbys)
    assert proc_status(server.master_pid)["Uid"].split()[0] == "0"


@pytest.mark.parametrize("site", ["alpha", "beta"])
def test_workers_run_as_site_ids_with_no_capabilities_and_no_new_privs(server, site):
    pids = server.worker_pids(site)
    assert pids, f"no live worker of {site}"
    uid = SITE_UIDS[site]
    for pid in pids:
        wait_until_executed(pid)  # a worker just being started may not have dropped root yet
        assert_fully_unprivileged(pid, uid, uid, f"worker {pid} of {site}")


def test_dispatcher_runs_as_its_user_in_an_empty_jail(server):
    pid = server.dispatcher_pid
    assert_fully_unprivileged(pid, DISPATCHER_UID, DISPATCHER_UID, f"dispatcher {pid}")
    root = os.readlink(f"/proc/{pid}/root")
    assert os.path.realpath(root) == os.path.realpath(server.jail_dir)
    assert os.path.isdir(server.jail_dir)
    assert os.listdir(server.jail_dir) == []
    jail = os.stat(server.jail_dir)
    assert jail.st_uid == 0, "the jail must not be writable by the dispatcher's user"
    assert not (jail.st_mode & 0o022), oct(jail.st_mode)


def test_each_role_runs_under_its_own_uid_and_no_child_is_root(server):
    """The master's children run as the dispatcher's user or a site's user, never root; the
    one exception is a standby worker, which has no site and holds nothing (test_standby.py)."""
    uids = {}
    standbys = set(server.standby_pids())
    for pid in set(server.all_children()) - standbys:
        wait_until_executed(pid)
        uids.setdefault(proc_status(pid)["Uid"].split()[0], []).append(pid)
    assert set(uids) == {str(DISPATCHER_UID), str(ALPHA_UID), str(BETA_UID)}
    assert len(uids[str(DISPATCHER_UID)]) == 1


def server_side_connections(port_numbers) -> dict:
    """inode -> state of the server's ends of TCP connections to our listening ports."""
    return {e.inode: e.state for e in tcp_table()
            if e.local_port in port_numbers and e.state != LISTEN and e.inode != 0}


def test_master_and_dispatcher_hold_no_client_connection_while_keep_alive_is_open(server):
    ports = set(server.ports.values())
    conns = []
    try:
        for i, host in enumerate(["alpha.test", "beta.test", "a.alpha.test", "beta.test",
                                  "alpha.test"]):
            conn = Conn(server, address="::1" if i % 2 else "127.0.0.1")
            conns.append(conn)
            assert conn.request(host).status == 200
        time.sleep(0.2)  # hand-off completes asynchronously after the response is written
        established = {inode for inode, state in server_side_connections(ports).items()
                       if state == ESTABLISHED}
        assert len(established) >= len(conns), \
            f"expected the server ends of {len(conns)} connections in /proc/net/tcp*"

        master = socket_inodes(server.master_pid)
        assert not master & established, \
            "the master (root) holds a client connection: invariant 1 broken"
        dispatcher = socket_inodes(server.dispatcher_pid)
        assert not dispatcher & established, \
            "the dispatcher still holds a connection it handed off"
        listening = {e.inode for e in tcp_table() if e.state == LISTEN and e.local_port in ports}
        assert listening <= dispatcher, "the dispatcher holds the listening sockets"

        # Positive control: the workers do hold them, so the method sees real connections.
        held = set()
        for pid in server.worker_pids():
            held |= socket_inodes(pid)
        assert established <= held, "every established connection is held by some worker"
    finally:
        for conn in conns:
            conn.close()


def test_master_holds_no_listener_copy_that_leaks_to_workers(server):
    """Workers inherit only their own descriptors: no listening socket."""
    ports = set(server.ports.values())
    listening = {e.inode for e in tcp_table() if e.state == LISTEN and e.local_port in ports}
    assert listening, "listening sockets not found in /proc/net/tcp*"
    for pid in server.worker_pids():
        assert not socket_inodes(pid) & listening, f"worker {pid} holds a listening socket"


def test_workers_hold_no_other_sites_files(server):
    """A worker's open files are its own site's (logs, root), never the other site's."""
    for site, other in (("alpha", "beta"), ("beta", "alpha")):
        other_root = str(server.dir / other)
        for pid in server.worker_pids(site):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                assert not target.startswith(other_root), f"worker {pid} of {site}: {target}"
                assert f"/{other}.access.log" not in target and f"/{other}.error.log" not in target


def test_killed_worker_is_replaced_while_other_site_is_served(make_server):
    srv = make_server()
    victims = srv.worker_pids("alpha")
    assert len(victims) == 2
    victim = victims[0]
    mark = srv.line_count()
    results = []
    stop = threading.Event()

    def hammer_beta():
        while not stop.is_set():
            try:
                response = srv.get("beta.test", timeout=5)
                results.append(response.status if response.text == "<h1>beta</h1>\n" else -1)
            except Exception as error:  # noqa: BLE001 - recorded as a failure
                results.append(repr(error))

    thread = threading.Thread(target=hammer_beta, daemon=True)
    thread.start()
    try:
        time.sleep(0.2)
        os.kill(victim, signal.SIGKILL)
        died = srv.wait_for_line(rf"worker \d+ of site alpha killed by signal 9", 5, start=mark)
        assert died, f"no log line for the killed worker:\n{srv.log}"
        started = srv.wait_for_line(r"started worker \d+ of site alpha as pid (\d+)", 10,
                                    start=mark)
        assert started, f"the killed worker was not replaced:\n{srv.log}"
        replacement = int(started.group(1))
        assert replacement != victim
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(5)
    assert results, "no request to beta completed"
    failures = [r for r in results if r != 200]
    assert not failures, f"beta failed during the kill: {failures[:5]} of {len(results)}"
    # The pool is whole again and alpha is served by it.
    deadline = time.monotonic() + 5
    while len(srv.worker_pids("alpha")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = srv.worker_pids("alpha")
    assert victim not in alive and replacement in alive and len(alive) == 2
    assert_fully_unprivileged(replacement, ALPHA_UID, ALPHA_UID, "replacement worker")
    for _ in range(6):
        assert srv.get("alpha.test").text == "<h1>alpha</h1>\n"


def test_killed_dispatcher_is_replaced_and_serving_resumes(make_server):
    srv = make_server()
    victim = srv.dispatcher_pid
    mark = srv.line_count()
    os.kill(victim, signal.SIGKILL)
    started = srv.wait_for_line(r"started dispatcher as pid (\d+)", 10, start=mark)
    assert started, f"the dispatcher was not replaced:\n{srv.log}"
    assert srv.wait_for_line(r"dispatcher\[\d+\] info: serving", 10, start=mark)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if srv.get("beta.test", timeout=1).status == 200:
                break
        except Exception:  # noqa: BLE001 - not serving yet
            time.sleep(0.1)
    assert srv.get("alpha.test").text == "<h1>alpha</h1>\n"
    assert srv.get("beta.test").text == "<h1>beta</h1>\n"


def test_sigterm_stops_gracefully_with_exit_0_and_no_process_left(make_server):
    srv = make_server()
    assert srv.get("alpha.test").status == 200
    pids = set(srv.all_children()) | {srv.master_pid}
    assert len(pids) == 7  # master, dispatcher, 3 workers, 2 standbys
    started = time.monotonic()
    code = srv.stop(signal.SIGTERM)
    assert code == 0, f"exit status {code} after SIGTERM:\n{srv.log}"
    assert time.monotonic() - started < 12
    deadline = time.monotonic() + 3
    while srv.leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.leftover_processes() == [], "processes of the stopped server are left"
    assert not any(pid_alive(pid) for pid in pids)
    assert srv.stderr_closed(), "someone still holds the server's stderr"
    assert "stopped" in srv.log


def test_sigterm_with_idle_keep_alive_connections_exits_0_and_closes_them(make_server):
    srv = make_server()
    conns = [Conn(srv) for _ in range(3)]
    try:
        for conn, host in zip(conns, ("alpha.test", "beta.test", "alpha.test")):
            assert conn.request(host).status == 200
        code = srv.stop(signal.SIGTERM)
        assert code == 0, f"exit status {code} after SIGTERM:\n{srv.log}"
        for conn in conns:
            assert conn.closed_by_peer(wait=1), "an idle connection outlived the server"
    finally:
        for conn in conns:
            conn.close()
    assert srv.leftover_processes() == []


def test_sigterm_refuses_new_connections_after_stop(make_server):
    srv = make_server()
    port = srv.port
    assert srv.stop(signal.SIGTERM) == 0
    with socket.socket() as sock:
        sock.settimeout(2)
        with pytest.raises(OSError):
            sock.connect(("127.0.0.1", port))


def fd_targets(pid: int) -> list:
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return targets


def test_workers_hold_only_their_own_sites_descriptors(server):
    for site in ("alpha", "beta"):
        allowed_files = {"/dev/null", str(server.dir / site),
                         str(server.log_dir / f"{site}.access.log"),
                         str(server.log_dir / f"{site}.error.log")}
        for pid in server.worker_pids(site):
            for target in fd_targets(pid):
                if target.startswith(("socket:", "anon_inode:")):
                    continue
                assert target in allowed_files, f"worker {pid} of {site} holds {target}"


def test_dispatcher_holds_no_files(server):
    for target in fd_targets(server.dispatcher_pid):
        assert target == "/dev/null" or target.startswith(("socket:", "anon_inode:", "pipe:")), \
            f"the dispatcher holds {target}"


def test_sighup_and_sigusr1_do_not_stop_the_server(make_server):
    srv = make_server()
    children = set(srv.all_children())
    for sig in (signal.SIGHUP, signal.SIGUSR1):
        srv.proc.send_signal(sig)
        time.sleep(0.2)
        assert srv.proc.poll() is None, f"the master exited on {sig.name}"
    assert set(srv.all_children()) == children, "no process was restarted"
    assert srv.get("alpha.test").status == 200
    assert srv.get("beta.test").status == 200


def test_sigterm_lets_an_in_flight_download_finish(make_server):
    # A generous shutdown_timeout: the download must finish because the stop waits for it,
    # not be cut by the timeout on a slow (loaded) machine.
    srv = make_server(start=False, server_options={"shutdown_timeout": "30s"})
    content = os.urandom(8 * 1024 * 1024)
    huge = srv.alpha_root / "huge.bin"
    huge.write_bytes(content)
    os.chown(huge, ALPHA_UID, ALPHA_UID)
    srv.start()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", srv.port))
        sock.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: alpha.test\r\n\r\n")
        received = sock.recv(65536)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # the stop is under way while most of the body is still to come
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += chunk
    end = received.index(b"\r\n\r\n") + 4
    assert received.startswith(b"HTTP/1.1 200 ")
    body = received[end:]
    assert len(body) == len(content), \
        f"the download was cut short by the graceful stop: {len(body)} of {len(content)} bytes" \
        f"\n{srv.log}"
    assert body == content
    assert srv.proc.wait(10) == 0
    assert "did not stop within the shutdown timeout" not in srv.log
    assert srv.leftover_processes() == []


def test_sigquit_stops_at_once_and_leaves_no_process(make_server):
    srv = make_server()
    pids = set(srv.all_children())
    srv.proc.send_signal(signal.SIGQUIT)
    srv.proc.wait(5)
    deadline = time.monotonic() + 3
    while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(pid_alive(pid) for pid in pids)
    assert srv.leftover_processes() == []
