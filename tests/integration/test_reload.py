"""SIGHUP reload: a broken file changes nothing; a valid one starts a new generation in which
unchanged sites keep their processes; reloads under load lose no request."""

import os
import signal
import socket
import threading
import time

from conftest import parse_one, recv_all, request_bytes


def reload(server, lines_before):
    """Sends SIGHUP; returns the line that says how the reload ended ("" if none came)."""
    os.kill(server.master_pid, signal.SIGHUP)
    match = server.wait_for_line(r".*(reloaded:|reload refused).*", 10, start=lines_before)
    return match.group(0) if match else ""


def test_reload_with_a_broken_file_keeps_the_configuration_and_says_why(make_server):
    server = make_server()
    before = server.line_count()
    with open(server.config_path, "a") as config:
        config.write("\n[server]\nlisten = [\n")
    line = reload(server, before)
    assert "reload refused" in line
    assert f"{server.config_path}:" in server.log  # FILE:LINE:COLUMN of the problem
    assert server.get("alpha.test").status == 200
    assert server.get("beta.test").status == 200


def test_reload_refuses_changes_that_need_a_restart(make_server):
    server = make_server()
    before = server.line_count()
    server.server_options["log_dir"] = str(server.dir / "other-log")
    server.write_config()
    assert "server.log_dir changed, which needs a restart" in reload(server, before)
    assert server.get("alpha.test").status == 200


def test_reload_adds_a_host_and_unchanged_sites_keep_their_processes(make_server):
    server = make_server()
    alpha_before = sorted(server.worker_pids("alpha"))
    beta_before = sorted(server.worker_pids("beta"))
    assert server.get("beta2.test").status == 421
    server.beta_options["hosts"] = ["beta.test", "beta2.test"]
    server.write_config()
    before = server.line_count()
    assert "reloaded:" in reload(server, before)
    deadline = time.time() + 10
    while time.time() < deadline and server.get("beta2.test").status != 200:
        time.sleep(0.05)
    reply = server.get("beta2.test")
    assert reply.status == 200 and b"beta" in reply.body
    assert sorted(server.worker_pids("alpha")) == alpha_before
    deadline = time.time() + 10
    while time.time() < deadline and set(server.worker_pids("beta")) & set(beta_before):
        time.sleep(0.05)
    assert not set(server.worker_pids("beta")) & set(beta_before), "beta's old workers retired"


def test_reload_removes_a_site(make_server):
    server = make_server()
    # Write a configuration with alpha alone.
    from conftest import toml_table
    server.config_path.write_text(toml_table("[server]", server.server_options) + "\n" +
                                  toml_table("[[site]]", server.alpha_options))
    before = server.line_count()
    assert "reloaded:" in reload(server, before)
    deadline = time.time() + 10
    while time.time() < deadline and server.get("beta.test").status != 421:
        time.sleep(0.05)
    assert server.get("beta.test").status == 421
    assert server.get("alpha.test").status == 200


def test_twenty_reloads_under_load_lose_no_request(make_server):
    server = make_server(server_options={"shutdown_timeout": "10s"})
    port = server.ports["127.0.0.1"]
    stop = threading.Event()
    results = {"ok": 0, "failed": [], "retried": 0}
    lock = threading.Lock()

    def new_connection_client(host):
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                    sock.sendall(request_bytes(host, "/", headers=["Connection: close"]))
                    reply = parse_one(recv_all(sock, 10))
                ok = reply.status == 200
            except Exception as error:  # noqa: BLE001 - every failure is counted
                ok, reply = False, error
            with lock:
                if ok:
                    results["ok"] += 1
                else:
                    results["failed"].append(repr(reply)[:200])

    def keep_alive_client(host):
        sock = None
        while not stop.is_set():
            fresh = sock is None
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(request_bytes(host, "/"))
                data = b""
                while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + 6:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise ConnectionResetError("closed")
                    data += chunk
                ok = data.startswith(b"HTTP/1.1 200")
                if b"Connection: close" in data.split(b"\r\n\r\n")[0]:
                    sock.close()
                    sock = None
                with lock:
                    results["ok" if ok else "failed"] += 1 if ok else 0
                    if not ok:
                        results["failed"].append(data[:100])
            except OSError as error:
                if sock is not None:
                    sock.close()
                sock = None
                if fresh:  # a new connection that fails is a lost request
                    with lock:
                        results["failed"].append(repr(error))
                else:      # a reused one closed under us: clients retry, as browsers do
                    with lock:
                        results["retried"] += 1
        if sock is not None:
            sock.close()

    threads = [threading.Thread(target=new_connection_client, args=(host,))
               for host in ("alpha.test", "beta.test")]
    threads.append(threading.Thread(target=keep_alive_client, args=("alpha.test",)))
    for thread in threads:
        thread.start()
    try:
        for i in range(20):
            server.beta_options["hosts"] = ["beta.test", f"b{i}.test"]  # a change every time
            server.write_config()
            before = server.line_count()
            assert "reloaded:" in reload(server, before), server.log[-3000:]
            time.sleep(0.25)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert results["failed"] == [], (f"lost {len(results['failed'])} of {results['ok']}: "
                                     f"{results['failed'][:5]}\n{server.log[-4000:]}\nwarnings and errors:\n"
                                     + "\n".join(line for line in server.log.splitlines()
                                                  if " warning: " in line or " error: " in line))
    assert results["ok"] > 100
    print(f"\n20 reloads: {results['ok']} requests answered, 0 lost, "
          f"{results['retried']} keep-alive connections closed between requests")
