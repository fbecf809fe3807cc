"""Server time per change in the amendment page (`budsjettkontroll serve`), for the README.

    .venv/bin/python benchmarks/web.py            # 200 changes per bundled proposal
    .venv/bin/python benchmarks/web.py -n 50

Starts `budsjettkontroll serve --no-browser` as a user would (its own process, 127.0.0.1, a free port), loads
each bundled example proposal into the page, and then does what the page's JavaScript does on every keystroke:
posts the whole form to /beregn with one cell changed. Measured per change:
- server time: the Server-Timing header the app sets (form parsing, validation, amend's engine, rendering the
  strip and the consequences), the figure the issue's 50 ms goal is about;
- server CPU time: the process time the server spent on it (the same work, less the waiting for a core while other
  processes run: the figure to compare across machine loads);
- round trip: the same request seen from the client (HTTP over loopback included).
The first 5 changes of each proposal are a warm-up and are not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 5


class Fields(HTMLParser):
    """The fields of the page's form (#forslag), as the browser posts them."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.fields: dict[str, str] = {}
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "forslag":
            self.inside = True
        if self.inside and tag == "input" and a.get("name") and not a["name"].startswith("ny.") \
                and a.get("type") not in ("submit", "button", "file"):
            self.fields[a["name"]] = a.get("value", "")
            if a.get("data-table") == "område":
                self.cells.append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", "from budsjettkontroll.cli import main; main()", "serve",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        proc.terminate()
        raise SystemExit(f"serve did not start: {line}{proc.stderr.read()}")
    return proc, match.group(0)


def request(url: str, path: str, data: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url + path, data=data, headers={"Origin": url, **(headers or {})},
                                 method="POST" if data is not None else "GET")
    return urllib.request.urlopen(req, timeout=60)


def upload(url: str, proposal: Path) -> Fields:
    boundary = "----benchmark"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fil\"; filename=\"{proposal.name}\"\r\n"
            f"Content-Type: application/x-yaml\r\n\r\n").encode() + proposal.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    with request(url, "/last-opp", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}) as r:
        parser = Fields()
        parser.feed(r.read().decode("utf-8"))
    return parser


def measure(url: str, proposal: Path, n: int) -> tuple[list[float], list[float], list[float]]:
    page = upload(url, proposal)
    cell = next(c for c in page.cells if c.endswith(".2026"))
    server, cpu, trip = [], [], []
    for i in range(n + WARMUP):
        fields = dict(page.fields)
        fields[cell] = str(int(fields[cell].replace(" ", "") or 0) + i + 1)  # one keystroke: the cell changes
        body = urllib.parse.urlencode(fields).encode()
        started = time.perf_counter()
        with request(url, "/beregn", body, {"Content-Type": "application/x-www-form-urlencoded"}) as r:
            r.read()
            timing = r.headers.get("Server-Timing", "")
        elapsed = (time.perf_counter() - started) * 1000
        if i >= WARMUP:
            server.append(float(re.search(r"beregn;dur=([\d.]+)", timing).group(1)))
            cpu.append(float(re.search(r"cpu;dur=([\d.]+)", timing).group(1)))
            trip.append(elapsed)
    return server, cpu, trip


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="changes measured per proposal")
    args = parser.parse_args()
    from budsjettkontroll.amendment import bundled_amendments

    proc, url = start_server()
    try:
        rows = []
        for proposal in bundled_amendments():
            rows.append((proposal.stem, *measure(url, proposal, args.n)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Målt {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC på {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} kjerner, Python {platform.python_version()}, last {load:.1f}; {args.n} endringer per forslag.\n")
    print("| Forslag | Servertid median | Servertid p95 | CPU-tid median | Rundtur median |")
    print("|---|---:|---:|---:|---:|")
    for name, server, cpu, trip in rows:
        print(f"| {name} | {statistics.median(server):.1f} ms | {p95(server):.1f} ms | {statistics.median(cpu):.1f} ms | "
              f"{statistics.median(trip):.1f} ms |")


if __name__ == "__main__":
    main()
