#!/usr/bin/env python3
"""First request to each of a list of sites: latency and content check.

usage: firstreq.py PORT SITE...   (each SITE is NAME; the host is NAME.scale.test, the
                                   expected body names the site)
Prints one JSON object: requests, ok, median_ms, p99_ms, max_ms, failures (up to 5 examples).
Every request is bounded by a 5 s timeout; one connection per request, sequential.
"""
import json
import socket
import statistics
import sys
import time


def get(port, host):
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET /index.html HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return time.monotonic() - start, data


def main():
    port = int(sys.argv[1])
    latencies, failures = [], []
    for name in sys.argv[2:]:
        host = f"{name}.scale.test"
        try:
            elapsed, data = get(port, host)
        except OSError as e:
            failures.append(f"{host}: {e}")
            continue
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") or f"site {name}".encode() not in body:
            failures.append(f"{host}: {head.splitlines()[0] if head else b'no answer'!r}")
            continue
        latencies.append(elapsed * 1000)
    latencies.sort()
    out = {"requests": len(sys.argv) - 2, "ok": len(latencies), "failures": failures[:5],
           "failed": len(failures)}
    if latencies:
        out["median_ms"] = statistics.median(latencies)
        out["p99_ms"] = latencies[min(len(latencies) - 1, int(round(0.99 * len(latencies))) - 1)]
        out["max_ms"] = latencies[-1]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
