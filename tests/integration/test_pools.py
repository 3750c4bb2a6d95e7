"""Pools on demand (workers.min = 0), idle workers let go, and a site whose workers keep dying."""

import os
import shutil
import time

from conftest import BETA_UID


def wait_until(condition, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_site_with_min_zero_starts_on_its_first_request(make_server):
    server = make_server(beta_options={"workers": {"min": 0, "max": 2, "idle": "1h"}})
    assert server.worker_pids("beta") == []
    reply = server.get("beta.test")
    assert reply.status == 200 and b"beta" in reply.body
    assert len(server.worker_pids("beta")) == 1
    assert server.get("alpha.test").status == 200


def test_idle_worker_above_min_is_stopped_and_started_again_on_demand(make_server):
    server = make_server(beta_options={"workers": {"min": 0, "max": 2, "idle": "1s"}})
    assert server.get("beta.test").status == 200
    first = server.worker_pids("beta")
    assert len(first) == 1
    assert wait_until(lambda: server.worker_pids("beta") == [], timeout=10), "idle worker kept"
    assert "has been idle; stopping it" in server.log
    assert server.get("beta.test").status == 200
    assert server.worker_pids("beta") and server.worker_pids("beta") != first


def test_site_with_min_workers_keeps_them_when_idle(make_server):
    server = make_server(beta_options={"workers": {"min": 1, "max": 2, "idle": "1s"}})
    before = server.worker_pids("beta")
    time.sleep(3)
    assert server.worker_pids("beta") == before


def test_many_parallel_first_requests_all_wait_for_the_first_worker(make_server):
    import concurrent.futures
    server = make_server(beta_options={"workers": {"min": 0, "max": 1, "idle": "1h"}})
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: server.get("beta.test").status, range(32)))
    assert statuses == [200] * 32
    assert len(server.worker_pids("beta")) == 1


def test_site_whose_workers_keep_dying_is_called_failing_and_others_are_served(make_server):
    server = make_server()
    # Take beta's document root away: each new worker of beta exits at start.
    shutil.rmtree(server.beta_root)
    for pid in server.worker_pids("beta"):
        os.kill(pid, 9)
    assert wait_until(lambda: "site beta is failing" in server.log, timeout=30), server.log[-2000:]
    reply = server.get("beta.test")
    assert reply.status == 503 and reply.header("Retry-After")
    assert server.get("alpha.test").status == 200
    server.beta_root.mkdir()
    (server.beta_root / "index.html").write_text("beta is back\n")
    os.chown(server.beta_root, BETA_UID, BETA_UID)
    assert wait_until(lambda: server.get("beta.test").status == 200, timeout=60), server.log[-3000:]
