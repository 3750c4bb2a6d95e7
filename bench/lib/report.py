#!/usr/bin/env python3
"""Turns bench/output/results/ into the markdown report (stdout).

usage: report.py RESULTS_DIR "PEER..." "WORKLOAD..."
"""
import json
import re
import statistics
import sys
from pathlib import Path

NAMES = {"bulkhead": "bulkhead", "nginx": "nginx + PHP-FPM", "lighttpd": "lighttpd + PHP-FPM",
         "apache-itk": "Apache mpm-itk + mod_php", "apache-prefork": "Apache prefork + mod_php"}
SHORT = {"bulkhead": "bulkhead", "nginx": "nginx", "lighttpd": "lighttpd",
         "apache-itk": "mpm-itk", "apache-prefork": "prefork"}
WORKLOAD_NAMES = {
    "static-1k-keepalive": "static 1 KiB, keep-alive",
    "static-1k-close": "static 1 KiB, new connection per request",
    "static-100k-keepalive": "static 100 KiB, keep-alive",
    "php-keepalive": "PHP hello world, keep-alive",
    "php-close": "PHP hello world, new connection per request",
}
# the targets of issue 7: (text, [(peer or "best", minimum ratio)])
TARGETS = {
    "static-1k-keepalive": ("≥ 1.0× best", [("best", 1.0)]),
    "static-1k-close": ("≥ 0.8× best, ≥ 100× mpm-itk", [("best", 0.8), ("apache-itk", 100.0)]),
    "static-100k-keepalive": ("≥ 1.0× best", [("best", 1.0)]),
    "php-keepalive": ("≥ 1.0× nginx", [("nginx", 1.0)]),
    "php-close": ("≥ 1.0× nginx", [("nginx", 1.0)]),
}
SITE_UIDS = {"alpha": "40201", "beta": "40202"}
SHARED_UID = "33"


def read(path, default=""):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def runs(wdir):
    out = []
    for f in sorted(Path(wdir).glob("run*.txt")):
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("BENCH_JSON "):
                out.append(json.loads(line[len("BENCH_JSON "):]))
    return out


def cell(results, peer, workload):
    """dict(status, rps, p99_ms, errors, requests, runs) for one peer and workload"""
    pstatus = read(results / peer / "status", "not run")
    wdir = results / peer / workload
    wstatus = read(wdir / "status", "")
    if not pstatus.startswith("ok"):
        return {"status": pstatus.split(" (see")[0]}
    if wstatus != "measured":
        return {"status": wstatus or "not run"}
    rs = runs(wdir)
    if not rs:
        return {"status": "failed: no wrk result"}
    rps = [r["requests"] / (r["duration_us"] / 1e6) for r in rs]
    p99 = [r["p99_us"] / 1000 for r in rs]
    errors = sum(r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"]
                 for r in rs)
    non2xx = sum(r["err_status"] for r in rs)
    return {"status": "measured", "rps": statistics.median(rps), "p99_ms": statistics.median(p99),
            "errors": errors, "non2xx": non2xx, "requests": sum(r["requests"] for r in rs),
            "runs": len(rs), "rps_all": rps}


def fmt_rps(c):
    if c.get("status") != "measured":
        return c.get("status", "")
    if c["requests"] == 0:
        return "0 ⚠ no answer within the runs"
    text = f"{c['rps']:,.0f}"
    if c["requests"] and (c["errors"] > 0.01 * c["requests"] or c["non2xx"]):
        text += f" ⚠ {c['errors']:,} errors"
    return text


def fmt_p99(c):
    if c.get("status") != "measured" or c["requests"] == 0:
        return "—"
    return f"{c['p99_ms']:.2f}" if c["p99_ms"] < 10 else f"{c['p99_ms']:.0f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    if r is None:
        return "n/a"
    if r >= 10:
        return f"{r:,.0f}×"
    text = f"{r:.2f}"
    return (f"{r:.3f}" if text in ("0.80", "1.00") else text) + "×"  # no "1.00× … not met"


def mib(kib):
    return f"{kib / 1024:.1f}"


def main():
    results = Path(sys.argv[1])
    peers = sys.argv[2].split()
    workloads = sys.argv[3].split()
    machine = dict(line.split("=", 1) for line in read(results / "machine.txt").splitlines() if "=" in line)
    mode = read(results / "machine.txt").splitlines()[0] if read(results / "machine.txt") else ""

    cells = {(p, w): cell(results, p, w) for p in peers for w in workloads}
    # a cell with non-2xx answers or more than 1 % errors is shown but not compared
    rps = {k: (c["rps"] if c.get("status") == "measured" and c["requests"] and not c.get("non2xx")
               and c["errors"] <= 0.01 * c["requests"] else None) for k, c in cells.items()}

    print("# bulkhead benchmark results\n")
    print(f"- mode: {mode.removeprefix('mode=')}")
    print(f"- machine: {machine.get('nproc', '?')} cores ({machine.get('cpu', '?')}), {machine.get('memory', '?')}, "
          f"{machine.get('kernel', '?')}, {machine.get('os', '?')}")
    print(f"- date: {machine.get('date', '?')}; bulkhead {machine.get('bulkhead', '?')}, "
          f"executables sha256 {machine.get('bulkhead_sha256', '?')}")
    print(f"- peers: nginx {machine.get('nginx', '?')}, {machine.get('lighttpd', '?')}, {machine.get('apache', '?')}, "
          f"PHP {machine.get('php', '?')}, wrk {machine.get('wrk', '?')}")
    loads = []
    for f in results.glob("*/*/loadavg*"):
        try:
            loads.append(float(read(f)))
        except ValueError:
            pass
    if loads:
        print(f"- load average (1 min) at the start of the measured runs: min {min(loads):.1f}, "
              f"median {statistics.median(loads):.1f}, max {max(loads):.1f} (the benchmark itself "
              "accounts for about 2 on this machine; more means other work was running)")
    print()

    print("## Requests per second (median of the runs) and p99 latency (ms)\n")
    print("| workload | " + " | ".join(f"{SHORT[p]} req/s | p99" for p in peers) + " |")
    print("| --- | " + " | ".join("---: | ---:" for _ in peers) + " |")
    for w in workloads:
        row = [WORKLOAD_NAMES.get(w, w)]
        for p in peers:
            c = cells[(p, w)]
            row += [fmt_rps(c), fmt_p99(c)]
        print("| " + " | ".join(row) + " |")
    print()

    if "bulkhead" in peers:
        others = [p for p in peers if p != "bulkhead"]
        print("## Ratio of bulkhead's requests/s to each peer's, and the targets of issue 7\n")
        print("\"best\" is the faster of nginx and lighttpd in this run.\n")
        print("| workload | bulkhead / best | " + " | ".join(f"bulkhead / {SHORT[p]}" for p in others)
              + " | target | met |")
        print("| --- | ---: | " + " | ".join("---:" for _ in others) + " | --- | --- |")
        for w in workloads:
            b = rps[("bulkhead", w)]
            best_candidates = [rps[(p, w)] for p in ("nginx", "lighttpd") if p in peers and rps[(p, w)]]
            best = max(best_candidates) if best_candidates else None
            ratios = {"best": ratio(b, best)}
            for p in others:
                ratios[p] = ratio(b, rps[(p, w)])
            target_text, checks = TARGETS.get(w, ("", []))
            if b is None:
                met = "n/a"
            else:
                verdicts = [ratios.get(p) is not None and ratios[p] >= minimum for p, minimum in checks]
                unknown = any(ratios.get(p) is None for p, _ in checks)
                met = "yes" if all(verdicts) and not unknown else ("no" if not unknown else "?")
            row = [WORKLOAD_NAMES.get(w, w), fmt_ratio(ratios["best"])] + [fmt_ratio(ratios[p]) for p in others]
            row += [target_text, met]
            print("| " + " | ".join(row) + " |")
        print()

    print("## Memory and processes\n")
    print("RSS and PSS summed over each server's process tree (for nginx and lighttpd: the server "
          "and its PHP-FPM master and pools), MiB; \"load\" is the maximum sampled every 0.25 s "
          "during the measured runs. Processes per site: processes running as the site's uid "
          "(alpha / beta); shared: processes of the shared user www-data, which serve every site.\n")
    print("| server | RSS idle | RSS static load | RSS PHP load | PSS idle | PSS load | processes idle / load "
          "| per site idle (alpha / beta) | alpha under load | shared idle / load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for p in peers:
        status = read(results / p / "status", "not run")
        idle_text = read(results / p / "idle.json")
        if not idle_text:
            print(f"| {NAMES[p]} | {status} | | | | | | | | |")
            continue
        idle = json.loads(idle_text)
        static_load, php_load = [], []
        for w in workloads:
            for f in sorted((results / p / w).glob("load*.json")):
                (php_load if w.startswith("php") else static_load).append(json.loads(f.read_text()))
        all_load = static_load + php_load

        def mx(samples, key, uid=None):
            if not samples:
                return None
            return max((s["per_uid"].get(uid, 0) if uid else s[key]) for s in samples)

        def m(v):
            return mib(v) if v is not None else "—"

        def n(v):
            return str(v) if v is not None else "—"
        pu = idle["per_uid"]
        print(f"| {NAMES[p]} | {mib(idle['rss_kib'])} | {m(mx(static_load, 'rss_kib'))} | {m(mx(php_load, 'rss_kib'))} "
              f"| {mib(idle['pss_kib'])} | {m(mx(all_load, 'pss_kib'))} "
              f"| {idle['processes']} / {n(mx(all_load, 'processes'))} "
              f"| {pu.get(SITE_UIDS['alpha'], 0)} / {pu.get(SITE_UIDS['beta'], 0)} "
              f"| {n(mx(all_load, None, SITE_UIDS['alpha']))} "
              f"| {pu.get(SHARED_UID, 0)} / {n(mx(all_load, None, SHARED_UID))} |")
    print()

    failed = [(p, read(results / p / "status")) for p in peers if not read(results / p / "status", "").startswith("ok")]
    notes = [(p, w, line) for p in peers for w in workloads
             for line in read(results / p / w / "notes").splitlines() if line]
    if failed or notes:
        print("## Failures\n")
        for p, text in failed:
            print(f"- {NAMES[p]}: {text or 'not run'}: not measured")
        for p, w, line in notes:
            print(f"- {NAMES[p]}, {WORKLOAD_NAMES.get(w, w)}: {line}")
        print()

    print("## Spread of the runs (requests/s of each run)\n")
    for w in workloads:
        parts = []
        for p in peers:
            c = cells[(p, w)]
            if c.get("status") == "measured":
                parts.append(f"{SHORT[p]} " + "/".join(f"{x:,.0f}" for x in c["rps_all"]))
        if parts:
            print(f"- {WORKLOAD_NAMES.get(w, w)}: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
