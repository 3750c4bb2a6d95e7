#!/usr/bin/python3
# A hostile tenant: site alpha's own CGI script, trying to break out. Each case returns
# {"escaped": bool, "detail": str}: escaped=true means the attack worked (a failure of bulkhead).
# Everything here runs with alpha's uid inside alpha's confinement.
import ctypes
import ctypes.util
import errno
import json
import os
import signal
import socket
import sys
import urllib.parse

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
query = dict(urllib.parse.parse_qsl(os.environ.get("QUERY_STRING", "")))
case = query.get("case", "")
arg = query.get("arg", "")

SYS = {"ptrace": 101, "mount": 165, "unshare": 272, "bpf": 321, "keyctl": 250, "init_module": 175,
       "setns": 308, "open_by_handle_at": 304, "io_uring_setup": 425, "chroot": 161,
       "perf_event_open": 298, "userfaultfd": 323, "kexec_load": 246, "add_key": 248,
       "finit_module": 313, "process_vm_readv": 310}


def syscall(name, *args):
    ctypes.set_errno(0)
    result = libc.syscall(SYS[name], *[ctypes.c_long(a) for a in args])
    return result, ctypes.get_errno()


def refused(result_errno):
    result, err = result_errno
    return {"escaped": result >= 0, "detail": f"result {result} errno {errno.errorcode.get(err, err)}"}


def try_read(path):
    try:
        with open(path, "rb") as f:
            data = f.read(64)
        return {"escaped": True, "detail": f"read {data[:20]!r}"}
    except OSError as e:
        return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def try_write(path):
    try:
        with open(path, "wb") as f:
            f.write(b"owned by alpha\n")
        return {"escaped": True, "detail": f"wrote {path}"}
    except OSError as e:
        return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def try_listdir(path):
    try:
        return {"escaped": True, "detail": f"listed {os.listdir(path)[:5]}"}
    except OSError as e:
        return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def try_kill(pid):
    try:
        os.kill(int(pid), signal.SIGKILL)
        return {"escaped": True, "detail": f"killed {pid}"}
    except OSError as e:
        return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def try_id(call):
    try:
        call()
        return {"escaped": os.geteuid() == 0 or os.getegid() == 0, "detail": f"uid {os.getresuid()} gid {os.getresgid()}"}
    except OSError as e:
        return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def symlink_to(target):
    link = f"/tmp/link-{os.getpid()}"
    try:
        os.symlink(target, link)
    except OSError as e:
        return {"escaped": False, "detail": f"symlink: {e}"}
    try:
        return try_read(link)
    finally:
        os.unlink(link)


def hard_link_to(target):
    link = f"/tmp/hard-{os.getpid()}"
    try:
        os.link(target, link)
        os.unlink(link)
        return {"escaped": True, "detail": "hard link made"}
    except OSError as e:
        return {"escaped": False, "detail": f"link: {e}"}


def pids_visible():
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    foreign = []
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid != os.getuid():
                foreign.append(pid)
        except OSError:
            pass
    return {"escaped": bool(foreign), "detail": f"foreign pids {foreign[:10]} of {len(pids)}"}


def fork_bomb():
    children, failed = [], None
    for _ in range(2000):
        try:
            pid = os.fork()
        except OSError as e:
            failed = e
            break
        if pid == 0:
            signal.pause()
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return {"escaped": failed is None, "detail": f"forked {len(children)} before: {failed}"}


def memory_hog():
    blocks = []
    try:
        for _ in range(64):  # up to 2 GiB in 32 MiB blocks, each touched
            blocks.append(bytearray(32 << 20))
    except MemoryError:
        return {"escaped": False, "detail": f"MemoryError after {len(blocks) * 32} MiB"}
    return {"escaped": True, "detail": f"allocated {len(blocks) * 32} MiB"}


def inherited_fds():
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    extra = {}
    for fd in fds:
        try:
            extra[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    # 0-2 are the CGI's own pipes; listdir itself holds one more.
    leaked = {fd: t for fd, t in extra.items() if fd > 2 and "/proc/" not in t}
    return {"escaped": bool(leaked), "detail": f"fds {extra}"}


def connect_tcp(port):
    with socket.socket() as s:
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", int(port)))
            return {"escaped": True, "detail": "connected"}
        except OSError as e:
            return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def try_open(path):
    try:
        with open(path, "rb"):
            return {"escaped": True, "detail": f"opened {path}"}
    except OSError as e:
        return {"escaped": False, "detail": f"{type(e).__name__}: {e}"}


def holds(path):
    """Whether this process has a descriptor open on `path` (inherited from the worker)."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return {"escaped": path in links, "detail": f"links {links}"}


CASES = {
    "setuid_root": lambda: try_id(lambda: os.setuid(0)),
    "setresuid_root": lambda: try_id(lambda: os.setresuid(0, 0, 0)),
    "setgid_root": lambda: try_id(lambda: os.setgid(0)),
    "setgroups_root": lambda: try_id(lambda: os.setgroups([0])),
    "read": lambda: try_read(arg),
    "write": lambda: try_write(arg),
    "listdir": lambda: try_listdir(arg),
    "symlink_read": lambda: symlink_to(arg),
    "hard_link": lambda: hard_link_to(arg),
    "kill": lambda: try_kill(arg),
    "ptrace_attach": lambda: refused(syscall("ptrace", 16, int(arg), 0, 0)),  # PTRACE_ATTACH
    "see_processes": pids_visible,
    "mount_tmpfs": lambda: {"escaped": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0, "detail": os.strerror(ctypes.get_errno())},
    "unshare_user": lambda: refused(syscall("unshare", 0x10000000)),
    "unshare_mount": lambda: refused(syscall("unshare", 0x00020000)),
    "bpf": lambda: refused(syscall("bpf", 0, 0, 0)),
    "keyctl": lambda: refused(syscall("keyctl", 0, -3, 0)),  # KEYCTL_GET_KEYRING_ID
    "add_key": lambda: refused(syscall("add_key", 0, 0, 0, 0, -3)),
    "init_module": lambda: refused(syscall("init_module", 0, 0, 0)),
    "finit_module": lambda: refused(syscall("finit_module", 0, 0, 0)),
    "kexec_load": lambda: refused(syscall("kexec_load", 0, 0, 0, 0)),
    "perf_event_open": lambda: refused(syscall("perf_event_open", 0, 0, -1, -1, 0)),
    "userfaultfd": lambda: refused(syscall("userfaultfd", 0)),
    "io_uring_setup": lambda: refused(syscall("io_uring_setup", 1, 0)),
    "open_by_handle_at": lambda: refused(syscall("open_by_handle_at", -100, 0, 0)),
    "chroot": lambda: refused(syscall("chroot", ctypes.addressof(ctypes.create_string_buffer(b"/tmp")))),
    "setns": lambda: refused(syscall("setns", 0, 0)),
    "fork_bomb": fork_bomb,
    "memory_hog": memory_hog,
    "inherited_fds": inherited_fds,
    "connect_tcp": lambda: connect_tcp(arg),
    "open": lambda: try_open(arg),
    "holds": lambda: holds(arg),
}

result = CASES[case]() if case in CASES else {"escaped": False, "detail": "unknown case"}
sys.stdout.write("Content-Type: application/json\r\n\r\n" + json.dumps(result) + "\n")
