#!/usr/bin/python3
"""How exactly the fault proxy's bandwidth and latency toxics hold their numbers, measured end to end.

    /usr/bin/python3 bench/proxy_accuracy.py [--outpost-bin BIN] [--quick] [--json FILE]

It starts `outpost proxy serve --api 127.0.0.1:0` and two upstreams of its own on 127.0.0.1 (a source that sends as
many bytes as it is asked for, and an echo), creates links to them through the control API, and measures:

  bandwidth   a `bandwidth` toxic (downstream, rate_bytes) at 1 MiB/s over 64 MiB and at 10 MiB/s over 256 MiB: the
              client asks the source for N bytes through the link and times from the first byte it receives to the
              last; rate = (N - first read) / that time. Reported: measured rate / configured rate (goal: 1 +- 0.05).
  latency     a `latency` toxic (downstream, jitter 0) of 20, 50 and 200 ms: 50 sequential 64-byte round trips through
              the echo link, median RTT minus the median RTT of the same link without the toxic, divided by the
              configured latency (goal: close to 1). A jitter of 20 ms on 50 ms is reported too (mean and spread).
  passthrough 256 MiB with no toxic, through the link and straight from the source, for the proxy's own cost.

--quick divides the byte counts by 16 and the round trips by 5 (a smoke run, not a measurement). Only the standard
library is used; the proxy is driven over its HTTP API with urllib.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


# --- upstreams -------------------------------------------------------------------------------------------------------

class Upstream:
    """A TCP server on 127.0.0.1 running `serve(conn)` for every connection on a thread of its own."""

    def __init__(self, serve):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.serve = serve
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        with conn:
            try:
                self.serve(conn)
            except OSError:
                pass


def source(conn):
    """Reads an 8-byte big-endian count, sends that many bytes, closes."""
    wanted = struct.unpack("!Q", recv_exactly(conn, 8))[0]
    block = bytes(range(256)) * 4096  # 1 MiB
    while wanted > 0:
        n = min(wanted, len(block))
        conn.sendall(block[:n])
        wanted -= n


def echo(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def recv_exactly(conn, n):
    out = bytearray()
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed early")
        out += chunk
    return bytes(out)


# --- the proxy -------------------------------------------------------------------------------------------------------

class Proxy:
    def __init__(self, binary: str):
        self.process = subprocess.Popen([binary, "proxy", "serve", "--api", "127.0.0.1:0", "--log-level", "warn"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        self.api = None
        for line in self.process.stderr:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "listening":
                self.api = "http://" + entry["address"]
                break
            if time.monotonic() > deadline:
                break
        if self.api is None:
            self.process.kill()
            raise SystemExit("outpost proxy serve did not start")
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text.strip() else None

    def link(self, name, upstream):
        return self.call("POST", "/proxies", {"name": name, "listen": "127.0.0.1:0", "upstream": upstream})["listen"]

    def toxic(self, link, body):
        return self.call("POST", f"/proxies/{link}/toxics", body)

    def reset(self):
        self.call("POST", "/reset")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)


def connect(address):
    host, port = address.rsplit(":", 1)
    conn = socket.create_connection((host, int(port)))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


# --- measurements ----------------------------------------------------------------------------------------------------

def transfer(address, size):
    """Asks the source (through `address`) for `size` bytes; returns (bytes after the first read, seconds from the
    first read to the last)."""
    conn = connect(address)
    buffer = bytearray(4 * MiB)
    view = memoryview(buffer)
    with conn:
        conn.sendall(struct.pack("!Q", size))
        got = conn.recv_into(view)
        first, start = got, time.monotonic()
        while got < size:
            n = conn.recv_into(view)
            if n == 0:
                raise ConnectionError(f"closed after {got} of {size} bytes")
            got += n
        end = time.monotonic()
    return size - first, end - start


def round_trips(address, count):
    conn = connect(address)
    message = b"x" * 64
    times = []
    with conn:
        for _ in range(count):
            start = time.monotonic()
            conn.sendall(message)
            recv_exactly(conn, len(message))
            times.append(time.monotonic() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outpost-bin", default=os.environ.get("OUTPOST_BIN", str(REPO / "build" / "bin" / "outpost")))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    scale = 16 if args.quick else 1
    trips = 10 if args.quick else 50

    src, ech = Upstream(source), Upstream(echo)
    proxy = Proxy(args.outpost_bin)
    results = {"bandwidth": [], "latency": [], "passthrough": {}}
    try:
        bulk = proxy.link("bulk", src.address)
        rtt = proxy.link("rtt", ech.address)

        print("bandwidth toxic (downstream, rate_bytes), first byte to last byte:")
        for rate, size in ((1 * MiB, 64 * MiB), (10 * MiB, 256 * MiB)):
            proxy.reset()
            proxy.toxic("bulk", {"type": "bandwidth", "attributes": {"rate_bytes": rate}})
            size //= scale
            counted, seconds = transfer(bulk, size)
            measured = counted / seconds
            ratio = measured / rate
            results["bandwidth"].append({"rate_bytes": rate, "bytes": size, "seconds": round(seconds, 3),
                                         "measured_bytes_per_second": round(measured), "ratio": round(ratio, 4)})
            print(f"  {rate / MiB:5.1f} MiB/s over {size / MiB:4.0f} MiB: {measured / MiB:7.3f} MiB/s in "
                  f"{seconds:6.2f} s  ratio {ratio:.4f}")

        print(f"latency toxic (downstream), {trips} sequential 64-byte round trips, median minus baseline:")
        proxy.reset()
        base = statistics.median(round_trips(rtt, trips))
        print(f"  baseline RTT through the link: {base * 1000:.3f} ms")
        for latency, jitter in ((20, 0), (50, 0), (200, 0), (50, 20)):
            proxy.reset()
            proxy.toxic("rtt", {"type": "latency", "attributes": {"latency": latency, "jitter": jitter}})
            times = round_trips(rtt, trips)
            added = [t - base for t in times]
            median = statistics.median(added)
            ratio = median / (latency / 1000)
            entry = {"latency_ms": latency, "jitter_ms": jitter, "median_added_ms": round(median * 1000, 3),
                     "ratio": round(ratio, 4), "min_added_ms": round(min(added) * 1000, 3),
                     "max_added_ms": round(max(added) * 1000, 3)}
            if jitter:
                entry["stdev_ms"] = round(statistics.pstdev(added) * 1000, 3)
                entry["mean_added_ms"] = round(statistics.mean(added) * 1000, 3)
            results["latency"].append(entry)
            extra = (f"  mean {entry['mean_added_ms']:.2f} ms, stdev {entry['stdev_ms']:.2f} ms "
                     f"(uniform +-{jitter} ms: {jitter / 3 ** 0.5:.2f})") if jitter else ""
            print(f"  {latency:3d} ms +- {jitter:2d}: median added {median * 1000:8.3f} ms  ratio {ratio:.4f}  "
                  f"range {entry['min_added_ms']:.2f}..{entry['max_added_ms']:.2f} ms{extra}")

        proxy.reset()
        size = 256 * MiB // scale
        counted, seconds = transfer(bulk, size)
        direct_counted, direct_seconds = transfer(src.address, size)
        results["passthrough"] = {"bytes": size, "through_proxy_mib_s": round(counted / seconds / MiB, 1),
                                  "direct_mib_s": round(direct_counted / direct_seconds / MiB, 1)}
        print(f"passthrough, no toxic, {size / MiB:.0f} MiB: {counted / seconds / MiB:.0f} MiB/s through the proxy, "
              f"{direct_counted / direct_seconds / MiB:.0f} MiB/s straight from the source")
    finally:
        proxy.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    ok = all(abs(b["ratio"] - 1) <= 0.05 for b in results["bandwidth"])
    print("bandwidth within +-5%:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
