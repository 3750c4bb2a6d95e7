#!/usr/bin/env python3
"""The TLS benchmark's numbers (bench/tls.sh).

usage: tls-report.py h2load H2LOAD_OUTPUT LOG_FILE
         appends to H2LOAD_OUTPUT one line "BENCH_JSON {...}" with the same keys as
         bench/lib/report.lua prints for wrk, p50/p99/max taken from h2load's --log-file
       tls-report.py report RESULTS_DIR "PEER..." "WORKLOAD..."
         the markdown report (stdout)
"""
import json
import re
import statistics
import sys
from pathlib import Path

WORKLOAD_NAMES = {
    "https-1k-keepalive": "HTTPS (HTTP/1.1) 1 KiB, keep-alive",
    "h2-1k": "HTTP/2 over TLS 1 KiB",
    "https-1k-close": "HTTPS (HTTP/1.1) 1 KiB, new TLS connection per request (wrk: tickets used once)",
    "https-1k-resume": "HTTPS (HTTP/1.1) 1 KiB, new TLS connection per request, resumed (h2load)",
}
CLIENTS = {
    "https-1k-keepalive": "wrk -t1 -c{c}",
    "h2-1k": "h2load -t1 -c{c} -m{m}",
    "https-1k-close": "wrk -t1 -c{c}, Connection: close",
    "https-1k-resume": "h2load --h1 -t1 -c{c} -n <{r}/s × duration>, Connection: close",
}


def read(path, default=""):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def h2load_summary(output_path, log_path):
    """BENCH_JSON from h2load's summary and its per-request log; nothing when it gave none."""
    text = Path(output_path).read_text(errors="replace")
    finished = re.search(r"^finished in ([0-9.]+)(m?s), ([0-9.]+) req/s", text, re.M)
    counts = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    if not (finished and counts and codes):
        return
    rps = float(finished.group(3))  # h2load's: the requests done over the main duration (-D)
    durations = []
    try:
        with open(log_path, errors="replace") as log:
            for line in log:
                fields = line.split("\t")
                if len(fields) >= 3 and fields[2].strip().isdigit():
                    durations.append(int(fields[2]))
    except OSError:
        pass
    durations.sort()
    _total, _started, done, _succeeded, failed, errored, timeout = (int(x) for x in counts.groups())
    non2xx = sum(int(x) for x in codes.groups()[1:])
    result = {"requests": done, "duration_us": int(round(done / rps * 1e6)) if rps else 0, "bytes": 0,
              "p50_us": percentile(durations, 0.50), "p99_us": percentile(durations, 0.99),
              "max_us": durations[-1] if durations else 0, "err_connect": 0, "err_read": failed + errored,
              "err_write": 0, "err_status": non2xx, "err_timeout": timeout, "logged": len(durations)}
    with open(output_path, "a") as out:
        out.write("BENCH_JSON " + json.dumps(result) + "\n")


def cpu_us_per_request(wdir, r, result, name="cpu"):
    """the CPU time recorded in WDIR/<name><r> (the server's tree: "cpu", the client:
    "clientcpu") over the run's requests (µs), None if not known"""
    fields = read(Path(wdir) / f"{name}{r}").split()
    if len(fields) < 2 or not result["requests"]:
        return None
    ticks, ticks_per_second = int(fields[0]), int(fields[1])
    return ticks / ticks_per_second * 1e6 / result["requests"]


def runs(wdir):
    """[(run number, result, load average)] of a cell, in run order; the result gets
    "cpu_us" (server CPU per request) when it was measured"""
    out = []
    for f in sorted(Path(wdir).glob("run*.txt"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0)):
        r = int(re.sub(r"\D", "", f.stem) or 0)
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("BENCH_JSON "):
                result = json.loads(line[len("BENCH_JSON "):])
                result["cpu_us"] = cpu_us_per_request(wdir, r, result)
                result["client_cpu_us"] = cpu_us_per_request(wdir, r, result, "clientcpu")
                out.append((r, result, read(Path(wdir) / f"loadavg{r}", "?")))
    return out


def rps_of(result):
    return result["requests"] / (result["duration_us"] / 1e6) if result["duration_us"] else 0.0


def errors_of(result):
    return sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))


def cell(results, peer, workload):
    wdir = results / peer / workload
    status = read(wdir / "status", "not run")
    if status != "measured":
        return {"status": status}
    rs = runs(wdir)
    if not rs:
        return {"status": "failed: the client gave no result"}
    rps = [rps_of(r) for _, r, _ in rs]
    requests = sum(r["requests"] for _, r, _ in rs)
    errors = sum(errors_of(r) for _, r, _ in rs)
    non2xx = sum(r["err_status"] for _, r, _ in rs)
    cpu = [r["cpu_us"] for _, r, _ in rs if r["cpu_us"] is not None]
    client_cpu = [r["client_cpu_us"] for _, r, _ in rs if r["client_cpu_us"] is not None]
    client_core = [r["client_cpu_us"] * rps_of(r) / 1e6 for _, r, _ in rs if r["client_cpu_us"] is not None]
    return {"status": "measured", "rps": statistics.median(rps), "rps_all": rps,
            "cpu_us": statistics.median(cpu) if cpu else None,
            "client_cpu_us": statistics.median(client_cpu) if client_cpu else None,
            "client_core": statistics.median(client_core) if client_core else None,
            "p99_ms": statistics.median(r["p99_us"] / 1000 for _, r, _ in rs), "requests": requests,
            "errors": errors, "non2xx": non2xx, "valid": requests > 0 and not non2xx and errors <= 0.01 * requests}


def fmt_rps(c):
    if c["status"] != "measured":
        return c["status"]
    text = f"{c['rps']:,.0f}"
    if not c["valid"]:
        text += f" ⚠ {c['errors']:,} errors" if c["requests"] else " ⚠ no answer"
    return text


def fmt_ms(ms):
    return f"{ms:.2f}" if ms < 10 else f"{ms:.0f}"


def fmt_spread(c):
    if c["status"] != "measured":
        return "—"
    return f"{min(c['rps_all']):,.0f}–{max(c['rps_all']):,.0f}"


def negotiated(results, peer, workload):
    """'TLSv1.3, TLS_AES_256_GCM_SHA384, X25519, ALPN h2' from the client's own output (h2load)
    or from openssl s_client during the check (wrk, which prints none)"""
    wdir = results / peer / workload
    for f in sorted(wdir.glob("run*.txt")):
        text = f.read_text(errors="replace")
        proto = re.search(r"^TLS Protocol: (\S+)", text, re.M)
        if proto:
            cipher = re.search(r"^Cipher: (\S+)", text, re.M)
            temp = re.search(r"^Server Temp Key: (\S+)", text, re.M)
            alpn = re.search(r"^Application protocol: (\S+)", text, re.M)
            parts = [proto.group(1), cipher.group(1) if cipher else "?", temp.group(1) if temp else "?",
                     f"ALPN {alpn.group(1)}" if alpn else "no ALPN"]
            return ", ".join(parts) + " (h2load)"
    text = read(wdir / "tls-info.txt")
    new = re.search(r"^New, (\S+), Cipher is (\S+)", text, re.M)
    if not new:
        return "—"
    temp = re.search(r"^Server Temp Key: ([^,\s]+)", text, re.M)
    alpn = re.search(r"^ALPN protocol: (\S+)", text, re.M)
    signature = re.search(r"^Peer signature type: (\S+)", text, re.M)
    parts = [new.group(1), new.group(2), temp.group(1) if temp else "?",
             f"ALPN {alpn.group(1)}" if alpn else "no ALPN"]
    if signature:
        parts.append(f"{signature.group(1)} signature")
    return ", ".join(parts) + " (openssl s_client as the client offers)"


def resumption(results, peer, workloads):
    """'resumes: yes; new ticket on a resumed connection: no' from the checks
    (tls-resumption.py), or '—'"""
    for w in workloads:
        found = re.search(r"^Resumption: resumed=(\S+) new_ticket_on_resumption=(\S+)",
                          read(results / peer / w / "tls-info.txt"), re.M)
        if found:
            return f"resumes: {found.group(1)}; new ticket on a resumed connection: {found.group(2)}"
    return "—"


def report(results, peers, workloads):
    machine = dict(line.split("=", 1) for line in read(results / "machine.txt").splitlines() if "=" in line)
    print("# bulkhead TLS benchmark results\n")
    print(f"- mode: {machine.get('mode', '?')}")
    print(f"- machine: {machine.get('nproc', '?')} cores ({machine.get('cpu', '?')}), {machine.get('memory', '?')}, "
          f"{machine.get('kernel', '?')}, {machine.get('os', '?')}")
    print(f"- date: {machine.get('date', '?')}; bulkhead {machine.get('bulkhead', '?')}, executables sha256 "
          f"{machine.get('bulkhead_sha256', '?')}")
    print(f"- peers and clients: nginx {machine.get('nginx', '?')}, {machine.get('openssl', '?')}, "
          f"wrk {machine.get('wrk', '?')}, h2load {machine.get('h2load', '?')}")
    print(f"- certificates: {machine.get('certificates', '?')}")
    print(f"- SNI of wrk: {machine.get('sni', '?')}")
    loads = []
    for f in results.glob("*/*/loadavg*"):
        try:
            loads.append(float(read(f)))
        except ValueError:
            pass
    if loads:
        print(f"- load average (1 min) at the start of the measured runs: min {min(loads):.1f}, "
              f"median {statistics.median(loads):.1f}, max {max(loads):.1f} (the benchmark itself accounts "
              "for about 2 on this machine; more means other work was running)")
    if machine.get("busy_at_start"):
        print(f"- busiest processes at the start (CPU over one second, 100 % = one core): {machine['busy_at_start']}")
    print()

    cells = {(p, w): cell(results, p, w) for p in peers for w in workloads}
    print("## Requests per second (median of the runs), p99 latency (ms, median of the runs' p99)\n")
    header = "| workload | client | " + " | ".join(f"{p} req/s | p99 | spread" for p in peers)
    both = "bulkhead" in peers and "nginx" in peers
    print(header + (" | bulkhead / nginx |" if both else " |"))
    print("| --- | --- | " + " | ".join("---: | ---: | ---:" for _ in peers) + (" | ---: |" if both else " |"))
    for w in workloads:
        client = CLIENTS.get(w, "").format(c=machine.get("connections", "?"), m=machine.get("streams", "?"),
                                           r=machine.get("resume_rate", "?"))
        row = [WORKLOAD_NAMES.get(w, w), f"`{client}`"]
        for p in peers:
            c = cells[(p, w)]
            row += [fmt_rps(c), fmt_ms(c["p99_ms"]) if c["status"] == "measured" and c["requests"] else "—",
                    fmt_spread(c)]
        if both:
            b, n = cells[("bulkhead", w)], cells[("nginx", w)]
            if b["status"] == "measured" and n["status"] == "measured" and b["valid"] and n["valid"] and n["rps"]:
                row.append(f"{b['rps'] / n['rps']:.2f}×")
            else:
                row.append("n/a")
        print("| " + " | ".join(row) + " |")
    print("\n\"spread\": the lowest and the highest requests/s of the runs. A cell with non-2xx answers or more "
          "than 1 % failed requests is marked ⚠ and left out of the ratio.\n")

    print("## CPU time per request (µs, median of the runs)\n")
    print("Server: user + system CPU time of the server's whole process tree (bulkhead: master, dispatcher, "
          "workers, php-cgi; nginx: master, workers, PHP-FPM) during each measured run, divided by the "
          "requests answered. Other work on the machine changes this much less than requests/s, which "
          "depend on how much CPU the server got; lower is better. Client: the same for the client "
          "(wrk or h2load) against that server; the client shares the 2 cores with the server, and a "
          "client near 1 s of CPU per second (one core: it is single-threaded) limits the run.\n")
    print("| workload | " + " | ".join(f"{p} server | client" for p in peers)
          + (" | server: nginx / bulkhead (higher: bulkhead cheaper) |" if both else " |"))
    print("| --- | " + " | ".join("---: | ---:" for _ in peers) + (" | ---: |" if both else " |"))
    for w in workloads:
        row = [WORKLOAD_NAMES.get(w, w)]
        for p in peers:
            c = cells[(p, w)]
            measured = c["status"] == "measured"
            row.append(f"{c['cpu_us']:.0f}" if measured and c.get("cpu_us") else "—")
            row.append(f"{c['client_cpu_us']:.0f} ({c['client_core']:.0%} of a core)"
                       if measured and c.get("client_cpu_us") else "—")
        if both:
            b, n = cells[("bulkhead", w)], cells[("nginx", w)]
            if all(c["status"] == "measured" and c["valid"] and c.get("cpu_us") for c in (b, n)):
                row.append(f"{n['cpu_us'] / b['cpu_us']:.2f}×")
            else:
                row.append("n/a")
        print("| " + " | ".join(row) + " |")
    print()

    print("## Negotiated\n")
    print("| workload | " + " | ".join(peers) + " |")
    print("| --- | " + " | ".join("---" for _ in peers) + " |")
    for w in workloads:
        print(f"| {WORKLOAD_NAMES.get(w, w)} | " + " | ".join(negotiated(results, p, w) for p in peers) + " |")
    print("| session resumption (tls-resumption.py) | " + " | ".join(resumption(results, p, workloads) for p in peers)
          + " |")
    print()

    print("## Every run (in the order measured)\n")
    print("| workload | run | peer | req/s | p99 ms | errors | CPU µs/request: server | client "
          "| load average at start |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    order = []
    for w in workloads:
        for p in peers:
            for r, result, load in runs(results / p / w):
                order.append((w, r, peers.index(p), p, result, load))
    for w, r, _, p, result, load in sorted(order, key=lambda x: (workloads.index(x[0]), x[1], x[2])):
        cpu = "—" if result["cpu_us"] is None else f"{result['cpu_us']:.0f}"
        client_cpu = "—" if result["client_cpu_us"] is None else f"{result['client_cpu_us']:.0f}"
        print(f"| {WORKLOAD_NAMES.get(w, w)} | {r} | {p} | {rps_of(result):,.0f} | {fmt_ms(result['p99_us'] / 1000)} "
              f"| {errors_of(result):,} | {cpu} | {client_cpu} | {load} |")
    notes = []
    for w in workloads:
        for p in peers:
            text = read(results / p / w / "notes")
            if text:
                notes += [f"- {p}, {WORKLOAD_NAMES.get(w, w)}: {line}" for line in text.splitlines()]
    if notes:
        print("\n## Notes\n")
        print("\n".join(notes))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "h2load":
        h2load_summary(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "report":
        report(Path(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
