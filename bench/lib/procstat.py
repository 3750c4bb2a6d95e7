#!/usr/bin/env python3
"""Process-tree statistics for the benchmark (reads /proc only).

  procstat.py --list PID...                      the pids of the trees rooted at PID..., one a line
  procstat.py --stats [--uid U]... PID...        one JSON object: processes, RSS and PSS sums (KiB),
                                                 processes per listed uid
  procstat.py --sample SECONDS [--uid U]... --out FILE PID...
                                                 sample every 0.25 s for SECONDS (or until SIGTERM)
                                                 and write the maximum of each figure as JSON
"""
import argparse
import json
import os
import signal
import sys
import time


def all_parents():
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("latin-1")
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    return parents


def tree(roots):
    parents = all_parents()
    children = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [r for r in roots if r in parents]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(set(out))


def read_kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def real_uid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def stats(roots, uids):
    pids = tree(roots)
    result = {"processes": 0, "rss_kib": 0, "pss_kib": 0, "per_uid": {str(u): 0 for u in uids}}
    for pid in pids:
        rss = read_kib(f"/proc/{pid}/status", "VmRSS")
        if rss == 0 and not os.path.exists(f"/proc/{pid}"):
            continue
        result["processes"] += 1
        result["rss_kib"] += rss
        result["pss_kib"] += read_kib(f"/proc/{pid}/smaps_rollup", "Pss")
        uid = real_uid(pid)
        if str(uid) in result["per_uid"]:
            result["per_uid"][str(uid)] += 1
    return result


def main():
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--list", action="store_true")
    mode.add_argument("--stats", action="store_true")
    mode.add_argument("--sample", type=float)
    parser.add_argument("--uid", type=int, action="append", default=[])
    parser.add_argument("--out")
    parser.add_argument("pids", type=int, nargs="+")
    args = parser.parse_args()

    if args.list:
        print("\n".join(str(p) for p in tree(args.pids)))
        return 0
    if args.stats:
        print(json.dumps(stats(args.pids, args.uid)))
        return 0

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    best = stats(args.pids, args.uid)
    deadline = time.monotonic() + args.sample
    while not stop and time.monotonic() < deadline:
        time.sleep(0.25)
        now = stats(args.pids, args.uid)
        for key in ("processes", "rss_kib", "pss_kib"):
            best[key] = max(best[key], now[key])
        for uid, n in now["per_uid"].items():
            best["per_uid"][uid] = max(best["per_uid"][uid], n)
    text = json.dumps(best)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
