"""Per-site cgroups: bulkhead creates them beneath the cgroup it was started in, in every
hierarchy it uses (v1 controllers, cgroup v2), never elsewhere; each site's worker is in its
own site's cgroups; a graceful stop removes every directory bulkhead made."""

import os
import signal
import subprocess

from conftest import ALPHA_UID, BulkheadServer, wait_until_executed


def cgroup_mounts() -> dict:
    """{hierarchy key: mount point}: a v1 mount's key is its controllers ("memory",
    "cpu,cpuacct"), cgroup v2's is ""."""
    mounts = {}
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            separator = fields.index("-")
            fstype, options = fields[separator + 1], fields[separator + 3]
            if fstype == "cgroup2":
                mounts[""] = fields[4]
            elif fstype == "cgroup":
                controllers = [o for o in options.split(",")
                               if o in ("memory", "pids", "cpu", "cpuacct")]
                if controllers:
                    mounts[",".join(sorted(controllers))] = fields[4]
    return mounts


def cgroups_of(pid: int) -> dict:
    """{hierarchy key: path within it}, from /proc/PID/cgroup."""
    paths = {}
    with open(f"/proc/{pid}/cgroup") as cgroup:
        for line in cgroup:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            paths[",".join(sorted(controllers.split(",")))] = path
    return paths


def used_hierarchies(mounts: dict, start: dict) -> list:
    """The hierarchies bulkhead must use: cgroup v2 always (to group a site's processes), and
    each v1 hierarchy of memory, pids or cpu whose controller v2 does not offer here."""
    v2_controllers = []
    if "" in mounts:
        with open(directory(mounts[""], start[""]) + "/cgroup.controllers") as available:
            v2_controllers = available.read().split()
    used = []
    for key in mounts:
        wanted = [c for c in key.split(",") if c in ("memory", "pids", "cpu")]
        if key == "" or any(c not in v2_controllers for c in wanted):
            used.append(key)
    return used


def directory(mount: str, path: str) -> str:
    return mount.rstrip("/") + ("" if path == "/" else path)


def confined_worker(srv: BulkheadServer, site: str) -> int:
    """A worker of `site` that has joined its cgroups: a fresh one does it before its exec, a
    standby after it is given the site."""
    pid = srv.worker_pids(site)[0]
    wait_until_executed(pid)
    return pid


def entries(mounts: dict, start: dict, prefix: str) -> list:
    """Every directory directly beneath the start cgroup whose name starts with `prefix`."""
    found = []
    for key, mount in mounts.items():
        base = directory(mount, start[key])
        found += [f"{base}/{name}" for name in os.listdir(base) if name.startswith(prefix)]
    return sorted(found)


def test_site_cgroups_lie_beneath_the_start_cgroup_and_go_at_stop(make_server):
    mounts = cgroup_mounts()
    assert mounts, "no cgroup hierarchy is mounted"
    start = cgroups_of(os.getpid())  # the master inherits the test's cgroups

    srv: BulkheadServer = make_server()
    alpha = confined_worker(srv, "alpha")
    beta = confined_worker(srv, "beta")
    made = set()
    used = used_hierarchies(mounts, start)
    for key in set(mounts) - set(used):
        assert cgroups_of(alpha)[key] == start[key], f"hierarchy {key!r} is not bulkhead's"
    for key in used:
        mount = mounts[key]
        alpha_path, beta_path = cgroups_of(alpha)[key], cgroups_of(beta)[key]
        base = start[key].rstrip("/")
        for site, path in (("alpha", alpha_path), ("beta", beta_path)):
            assert path.startswith(base + "/bulkhead-"), \
                f"{site}'s worker is in {path!r} of hierarchy {key or 'v2'!r}, " \
                f"not beneath the start cgroup {start[key]!r}"
            assert os.path.isdir(directory(mount, path))
            made.add(directory(mount, path))
            if key:  # v1: bulkhead-<hash>/<site>; its parent is bulkhead's too
                made.add(os.path.dirname(directory(mount, path)))
        assert alpha_path != beta_path, f"both sites share {alpha_path!r} in {key or 'v2'!r}"
    # bulkhead-<hash of the state directory>: this server's, not another test's running beside.
    prefix = cgroups_of(alpha)[used[0]][len(start[used[0]].rstrip("/")) + 1:]
    prefix = prefix.split("/")[0].split("-site-")[0]
    assert entries(mounts, start, prefix)

    assert srv.stop() == 0
    left = sorted(d for d in made if os.path.exists(d))
    assert not left, f"left behind after a graceful stop: {left}"
    # The v2 leaf the master moves itself into (where it can delegate controllers) stays: the
    # master is in it until it exits (docs/operations.md, "cgroups").
    left = [e for e in entries(mounts, start, prefix) if not e.endswith(prefix + "-master")]
    assert not left, f"left behind after a graceful stop: {left}"


def site_cgroup_dirs(mounts: dict, start: dict, pid: int) -> list:
    """The directories of the site cgroups `pid` is in (only those beneath the start cgroup
    with a bulkhead- name)."""
    dirs = []
    for key, path in cgroups_of(pid).items():
        if key in mounts and path.startswith(start[key].rstrip("/") + "/bulkhead-"):
            dirs.append(directory(mounts[key], path))
    return dirs


def test_a_stop_kills_what_a_site_left_behind_and_removes_its_cgroups(make_server):
    """A site's process that outlives its worker (a CGI that daemonised itself) is still in
    the site's cgroups: the master kills it when it stops, or the cgroups could not go."""
    mounts = cgroup_mounts()
    start = cgroups_of(os.getpid())
    srv: BulkheadServer = make_server()
    dirs = site_cgroup_dirs(mounts, start, confined_worker(srv, "alpha"))
    assert dirs
    straggler = subprocess.Popen(["sleep", "60"], preexec_fn=lambda: os.setuid(ALPHA_UID))
    try:
        for d in dirs:
            with open(d + "/cgroup.procs", "w") as procs:
                procs.write(str(straggler.pid))
        assert srv.stop() == 0
        assert straggler.wait(5) == -signal.SIGKILL
        left = [d for d in dirs if os.path.exists(d)]
        assert not left, f"left behind: {left}"
    finally:
        straggler.kill()
        straggler.wait()


def test_sigquit_leaves_no_cgroup_behind(make_server):
    mounts = cgroup_mounts()
    start = cgroups_of(os.getpid())
    srv: BulkheadServer = make_server()
    dirs = site_cgroup_dirs(mounts, start, confined_worker(srv, "alpha"))
    dirs += site_cgroup_dirs(mounts, start, confined_worker(srv, "beta"))
    assert dirs
    srv.proc.send_signal(signal.SIGQUIT)
    srv.proc.wait(10)
    left = [d for d in dirs if os.path.exists(d)]
    assert not left, f"left behind after SIGQUIT: {left}"
