"""Site alpha's own CGI code attacks; every attack must fail and beta must keep serving.
Each test names the attack it tries."""

import json
import re
import time

import pytest


def refused(tenant, case, arg=""):
    outcome = tenant.attack(case, arg)
    assert outcome["escaped"] is False, f"{case}({arg}) worked: {outcome['detail']}"
    tenant.beta_still_serves()
    return outcome


# -- regaining privilege -------------------------------------------------------------------

@pytest.mark.parametrize("case", ["setuid_root", "setresuid_root", "setgid_root", "setgroups_root"])
def test_cannot_become_root_again(tenant, case):
    refused(tenant, case)


# -- other sites' files ----------------------------------------------------------------------

def test_cannot_read_beta_world_readable_file_directly(tenant):
    refused(tenant, "read", tenant.beta_public)


def test_cannot_read_beta_private_file_directly(tenant):
    refused(tenant, "read", tenant.beta_private)


def test_cannot_read_beta_file_via_dot_dot_from_own_root(tenant):
    alpha = tenant.server.alpha_root
    refused(tenant, "read", f"{alpha}/../{tenant.beta_public.parent.name}/public.txt")


def test_cannot_list_beta_document_root(tenant):
    refused(tenant, "listdir", tenant.server.beta_root)


def test_cannot_read_beta_file_via_own_symlink(tenant):
    refused(tenant, "symlink_read", tenant.beta_public)


def test_cannot_hard_link_beta_file_into_own_tmp(tenant):
    refused(tenant, "hard_link", tenant.beta_public)


def test_cannot_write_into_beta_document_root(tenant):
    refused(tenant, "write", tenant.server.beta_root / "defaced.html")


def test_cannot_write_into_own_document_root_when_not_writable(tenant):
    refused(tenant, "write", tenant.server.alpha_root / "defaced.html")


def test_cannot_write_into_etc(tenant):
    refused(tenant, "write", "/etc/bulkhead-owned")


def test_cannot_write_outside_writable_paths(tenant):
    refused(tenant, "write", "/var/tmp/bulkhead-owned")


def test_cannot_read_root_only_files(tenant):
    refused(tenant, "read", "/etc/shadow")


def test_cannot_read_the_configuration_directory_of_the_server(tenant):
    refused(tenant, "read", tenant.server.config_path)


def test_cannot_read_other_sites_logs(tenant):
    refused(tenant, "read", tenant.server.log_dir / "beta.access.log")


def test_the_attacking_worker_started_the_way_the_fixture_says(tenant):
    """Guards the parametrisation: "standby" attacks must hit a worker that was a standby."""
    tenant.attack("read", tenant.server.alpha_root / "index.html")
    starts = re.findall(r"started worker \d+ of site alpha as pid \d+ \(uid \d+\)( from a standby)?",
                        tenant.server.log)
    assert starts, tenant.server.log
    assert all(bool(s) == (tenant.started == "standby") for s in starts), starts


# -- other processes -------------------------------------------------------------------------

def beta_worker(tenant):
    return tenant.server.worker_pids("beta")[0]


def standby_worker(tenant):
    """A standby worker: root, and waiting for a site (a new one replaces a taken one)."""
    deadline = time.monotonic() + 10
    while not tenant.server.standby_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = tenant.server.standby_pids()
    assert pids, f"no standby worker:\n{tenant.server.log}"
    return pids[0]


@pytest.mark.parametrize("entry", ["root", "cwd", "environ"])
def test_cannot_read_beta_worker_through_proc(tenant, entry):
    path = f"/proc/{beta_worker(tenant)}/{entry}"
    refused(tenant, "listdir" if entry != "environ" else "read", path)


def test_cannot_read_dispatcher_descriptors_through_proc(tenant):
    refused(tenant, "listdir", f"/proc/{tenant.server.dispatcher_pid}/fd")


def test_cannot_read_master_environment(tenant):
    refused(tenant, "read", f"/proc/{tenant.server.master_pid}/environ")


def test_cannot_see_other_sites_or_bulkhead_processes(tenant):
    refused(tenant, "see_processes")


def test_cannot_read_standby_worker_environment(tenant):
    refused(tenant, "read", f"/proc/{standby_worker(tenant)}/environ")


def process_of(tenant, whom):
    if whom == "beta worker":
        return beta_worker(tenant)
    if whom == "standby worker":
        return standby_worker(tenant)
    return {"dispatcher": tenant.server.dispatcher_pid, "master": tenant.server.master_pid}[whom]


@pytest.mark.parametrize("whom", ["beta worker", "standby worker", "dispatcher", "master"])
def test_cannot_kill(tenant, whom):
    refused(tenant, "kill", process_of(tenant, whom))


@pytest.mark.parametrize("whom", ["beta worker", "standby worker", "master"])
def test_cannot_ptrace(tenant, whom):
    refused(tenant, "ptrace_attach", process_of(tenant, whom))


def test_inherits_no_server_descriptors(tenant):
    refused(tenant, "inherited_fds")


# -- the kernel ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", [
    "mount_tmpfs", "unshare_user", "unshare_mount", "setns", "chroot", "bpf", "keyctl", "add_key",
    "init_module", "finit_module", "kexec_load", "perf_event_open", "userfaultfd",
    "io_uring_setup", "open_by_handle_at",
])
def test_kernel_interface_is_refused(tenant, case):
    refused(tenant, case)


def test_cannot_connect_to_tcp_ports_outside_site_network(tenant):
    # alpha may connect to port 9 only; the server's own port (or a database's) is refused.
    outcome = refused(tenant, "connect_tcp", tenant.server.ports["127.0.0.1"])
    assert "Permission" in outcome["detail"], outcome["detail"]


# -- starving others -------------------------------------------------------------------------

def test_fork_bomb_is_contained_and_beta_keeps_serving(tenant):
    refused(tenant, "fork_bomb")


def test_memory_hog_is_contained_and_beta_keeps_serving(tenant):
    # The hog may be killed by the memory cgroup rather than see MemoryError: either way it
    # must not get 2 GiB, and the server must stay up.
    reply = tenant.server.get("alpha.test", "/attack.cgi?case=memory_hog", timeout=60)
    assert reply.status in (200, 502), reply.status
    if reply.status == 200:
        outcome = json.loads(reply.body)
        assert outcome["escaped"] is False, outcome["detail"]
    tenant.beta_still_serves()
    assert tenant.server.proc.poll() is None


# -- controls: the same probes succeed where they should, so the tests above can fail -------

def test_control_reads_its_own_files(tenant):
    assert tenant.attack("read", tenant.server.alpha_root / "index.html")["escaped"] is True


def test_control_writes_its_private_tmp(tenant):
    assert tenant.attack("write", "/tmp/alpha-scratch")["escaped"] is True


def test_control_can_fork_a_few_processes(tenant):
    outcome = tenant.attack("fork_bomb")
    forked = int(outcome["detail"].split()[1])
    assert 0 < forked < 2000, outcome["detail"]


def test_control_reads_beta_files_only_through_beta(tenant):
    reply = tenant.server.get("beta.test", "/private.txt")
    assert reply.status == 200 and b"beta private" in reply.body
