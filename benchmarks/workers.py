"""Workers: throughput with 1 and N processes, and how much memory the forked workers share.

Starts ``codingkg serve --workers N`` (the parent loads the graph once and forks the workers)
for N = 1 and N = 2, drives ``validPrimaries`` with wrk (32 connections), and reads each
process's memory from ``/proc/PID/smaps_rollup``: RSS counts shared pages in every process,
PSS divides them among the processes sharing them, so the sum of PSS is what the server
really occupies.

    python benchmarks/workers.py [--data RELEASE_DIR] [--seconds 10]

Linux only (``/proc``); needs ``wrk`` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
QUERY = '{ validPrimaries(addOn: "96375") { code title } }'
LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = %s
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _memory_mb(pid: int) -> tuple[float, float]:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    rss = int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    pss = int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    return rss / 1024, pss / 1024


def _run(workers: int, data: list[Path], seconds: int) -> dict[str, float]:
    port = _free_port()
    command = [sys.executable, "-m", "codingkg", "serve", "--port", str(port), "--workers", str(workers)]
    for d in data:
        command += ["--data", str(d)]
    process = subprocess.Popen(command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA % json.dumps(json.dumps({"query": QUERY})))
        out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", script.name, f"{base}/graphql"],
                             capture_output=True, text=True, check=True).stdout
        os.unlink(script.name)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]  # type: ignore[union-attr]
        children_file = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        pids = [process.pid, *(int(x) for x in children_file.read_text().split())]
        memory = [_memory_mb(pid) for pid in pids]
        return {"workers": workers, "rps": rps, "p99_ms": float(p99.group(1)) * scale,  # type: ignore[union-attr]
                "rss_sum_mb": sum(m[0] for m in memory), "pss_sum_mb": sum(m[1] for m in memory),
                "processes": len(pids)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    print(f"{'workers':>7} {'req/s':>8} {'p99 ms':>8} {'processes':>9} {'RSS sum MB':>11} {'PSS sum MB':>11}")
    for workers in (1, 2):
        r = _run(workers, args.data, args.seconds)
        print(f"{r['workers']:>7} {r['rps']:8.0f} {r['p99_ms']:8.1f} {r['processes']:>9} "
              f"{r['rss_sum_mb']:11.0f} {r['pss_sum_mb']:11.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
