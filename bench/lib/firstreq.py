#!/usr/bin/env python3
"""First request to each of a list of sites: latency and content check (scale benchmark).

usage: firstreq.py --port PORT --path PATH --expect TEXT [--size BYTES] [--cold UID_LO:UID_HI]
                   NAME:UID...
  Each site is requested once, sequentially, on a new connection (Connection: close), with
  Host NAME.scale.test. The time is taken with a monotonic clock from before connect() until
  the server has closed the connection after the last byte. An answer counts as good when it
  is "HTTP/1.1 200", its body contains TEXT (in which {name} and {uid} are replaced by the
  site's) and, with --size, is exactly BYTES long.
  --gap-ms MS: wait this long after each answer (outside the timed span), so that each
  request finds the server idle: cold starts one at a time rather than in a burst.
  --cold: before each request, check (outside the timed span) that no process runs as the
  site's uid, i.e. that the site really is cold; a site that is not is counted as "warm".
Prints one JSON object: requests, ok, failed, failures (up to 5 examples), not_cold,
median_ms, p99_ms (the 198th of 200), p90_ms, min_ms, max_ms, ttfb_median_ms, latencies_ms.
Every request is bounded by a 5 s timeout.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import time


def uid_running(uid):
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    return True
            except OSError:
                pass
    return False


def get(port, host, path):
    start = time.monotonic()
    first = None
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while True:
            chunk = s.recv(65536)
            if first is None:
                first = time.monotonic()
            if not chunk:
                break
            chunks.append(chunk)
    end = time.monotonic()
    return end - start, (first or end) - start, b"".join(chunks)


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values))) - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--expect", required=True)
    parser.add_argument("--size", type=int)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--gap-ms", type=float, default=0)
    parser.add_argument("sites", nargs="+")
    args = parser.parse_args()

    latencies, ttfbs, failures, not_cold = [], [], [], 0
    for site in args.sites:
        name, uid = site.split(":")
        host = f"{name}.scale.test"
        if args.cold and uid_running(int(uid)):
            not_cold += 1
        if args.gap_ms:
            time.sleep(args.gap_ms / 1000)
        try:
            elapsed, ttfb, data = get(args.port, host, args.path)
        except OSError as e:
            failures.append(f"{host}: {e}")
            continue
        head, _, body = data.partition(b"\r\n\r\n")
        expect = args.expect.replace("{name}", name).replace("{uid}", uid).encode()
        if (not head.startswith(b"HTTP/1.1 200") or expect not in body
                or (args.size is not None and len(body) != args.size)):
            status = head.splitlines()[0].decode(errors="replace") if head else "no answer"
            failures.append(f"{host}: {status} ({len(body)} body bytes: {body[:80]!r})")
            continue
        latencies.append(elapsed * 1000)
        ttfbs.append(ttfb * 1000)
    out = {"requests": len(args.sites), "ok": len(latencies), "failed": len(failures),
           "failures": failures[:5], "not_cold": not_cold}
    if latencies:
        ordered = sorted(latencies)
        out.update(median_ms=statistics.median(ordered), p90_ms=percentile(ordered, 0.90),
                   p99_ms=percentile(ordered, 0.99), min_ms=ordered[0], max_ms=ordered[-1],
                   ttfb_median_ms=statistics.median(ttfbs),
                   latencies_ms=[round(x, 3) for x in latencies])
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
