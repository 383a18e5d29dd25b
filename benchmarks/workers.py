"""Workers: throughput with 1 and N processes, how the load spreads, and the memory they share.

Starts ``codingkg serve --workers N`` (the parent loads the graph once and forks the workers)
for N = 1 and N = 2, alternately, ``--rounds`` times, and drives each with wrk (32 keep-alive
connections, a CPU-bound query: the code card by default, or ``checkClaim``). For each run it
reports requests/s, p99, errors, and how the work spread over the workers:

* **connections**: the client connections each worker holds, sampled in the middle of the run
  (the sockets in ``/proc/PID/fd`` matched with the established connections of
  ``/proc/net/tcp``): the accept balance the supervisor's workers keep (see ``server.serve``);
* **CPU seconds** each worker spent during the run (``/proc/PID/stat``): the share of the work,
  and requests per CPU second: on a shared machine N workers get what CPU the others leave,
  and this column tells a server that wastes CPU from one that was given less.

Memory comes from ``/proc/PID/smaps_rollup``: RSS counts shared pages in every process, PSS
divides them among the processes sharing them, so the sum of PSS is what the server occupies.
The last lines give the medians and the ratio N workers / 1 worker, with the load average
(``uptime``) before and after: the machine may be shared, so read the ratio with the load.

    python benchmarks/workers.py [--query card|checkClaim|validPrimaries] [--rounds 3] [--seconds 10]
                                 [--workers 2] [--repo CHECKOUT] [--data RELEASE_DIR]

``--repo`` serves another checkout (its ``server`` package) with the same driver, to compare
before and after. Everything runs on 127.0.0.1 and stops by itself. Linux only (``/proc``);
needs ``wrk`` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_throughput import CHECK_CLAIM, CODE_CARD, VALID_PRIMARIES, WRK_SCRIPT  # noqa: E402

QUERIES = {"card": CODE_CARD, "checkClaim": CHECK_CLAIM, "validPrimaries": VALID_PRIMARIES}
CLIENTS = 32
START_TIMEOUT_S = 600.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _memory_mb(pid: int) -> tuple[float, float]:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    rss = int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    pss = int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    return rss / 1024, pss / 1024


def _children(pid: int) -> list[int]:
    return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _server_side_inodes(port: int) -> set[str]:
    """Socket inodes of the established connections whose local end is ``port`` (the server's side)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 01: ESTABLISHED
                inodes.add(fields[9])
    return inodes


def _connections(pid: int, inodes: set[str]) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def _wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("server did not start")
        time.sleep(0.2)


def _run(repo: Path, workers: int, data: list[Path], seconds: int, query: str) -> dict[str, Any]:
    port = _free_port()
    command = [sys.executable, "-m", "codingkg", "serve", "--port", str(port), "--workers", str(workers)]
    for d in data:
        command += ["--data", str(d)]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, process)
        assert "errors" not in httpx.post(f"{base}/graphql", json={"query": query}, timeout=10.0).json()
        # With one worker the parent serves (no fork): measure that process.
        pids = _children(process.pid) if workers > 1 else [process.pid]
        cpu_before = {pid: _cpu_seconds(pid) for pid in pids}
        held: dict[int, int] = {}

        def sample() -> None:  # in the middle of the run: every connection is open by then
            time.sleep(seconds / 2)
            inodes = _server_side_inodes(port)
            held.update({pid: _connections(pid, inodes) for pid in pids})

        sampler = threading.Thread(target=sample)
        sampler.start()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % json.dumps(json.dumps({"query": query})))
        try:
            out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "-s", script.name, f"{base}/graphql"],
                                 capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
        finally:
            os.unlink(script.name)
        sampler.join()
        cpu = [round(_cpu_seconds(pid) - cpu_before[pid], 1) for pid in pids]
        requests, errors, duration, _p50, p99 = next(x for x in out.splitlines() if x.startswith("RESULT")).split()[1:]
        memory = [_memory_mb(pid) for pid in [process.pid, *_children(process.pid)]]
        return {"workers": workers, "rps": int(requests) / float(duration), "p99_ms": float(p99),
                "per_cpu_s": int(requests) / max(sum(cpu), 0.1),
                "errors": int(errors), "connections": [held.get(pid, 0) for pid in pids], "cpu_s": cpu,
                "rss_sum_mb": sum(m[0] for m in memory), "pss_sum_mb": sum(m[1] for m in memory)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", choices=sorted(QUERIES), default="card")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="the N compared with one worker")
    parser.add_argument("--repo", type=Path, default=REPOSITORY, help="checkout to serve (default: this one)")
    parser.add_argument("--data", type=Path, action="append", default=[])
    args = parser.parse_args()
    repo = args.repo.resolve()
    print(f"serving {repo}, query {args.query}, {CLIENTS} connections, {args.rounds} rounds of {args.seconds} s; "
          f"load before {_load()}")
    print(f"{'round':>5} {'workers':>7} {'req/s':>8} {'p99 ms':>8} {'errors':>6} {'connections':>14} "
          f"{'CPU s':>14} {'req/CPU s':>9} {'RSS sum MB':>10} {'PSS sum MB':>10}")
    results: dict[int, list[dict[str, Any]]] = {1: [], args.workers: []}
    for n in range(1, args.rounds + 1):
        for workers in (1, args.workers):
            r = _run(repo, workers, args.data, args.seconds, QUERIES[args.query])
            results[workers].append(r)
            print(f"{n:>5} {workers:>7} {r['rps']:8.0f} {r['p99_ms']:8.1f} {r['errors']:>6} "
                  f"{'/'.join(map(str, r['connections'])):>14} {'/'.join(map(str, r['cpu_s'])):>14} "
                  f"{r['rss_sum_mb']:10.0f} {r['pss_sum_mb']:10.0f}", flush=True)
    one = statistics.median(r["rps"] for r in results[1])
    many = statistics.median(r["rps"] for r in results[args.workers])
    # The share of the busiest worker's connections, per run: 1/N when the accepts are balanced.
    busiest = [max(r["connections"]) / max(1, sum(r["connections"])) for r in results[args.workers]]
    summary = {"query": args.query, "rounds": args.rounds, "seconds": args.seconds,
               "rps_1": round(one), f"rps_{args.workers}": round(many), "ratio": round(many / one, 2),
               "per_cpu_s_1": round(statistics.median(r["per_cpu_s"] for r in results[1])),
               f"per_cpu_s_{args.workers}": round(statistics.median(r["per_cpu_s"] for r in results[args.workers])),
               "p99_ms_1": statistics.median(r["p99_ms"] for r in results[1]),
               f"p99_ms_{args.workers}": statistics.median(r["p99_ms"] for r in results[args.workers]),
               "busiest_worker_share_max": round(max(busiest), 2), "load_after": _load()}
    print(f"median req/s: 1 worker {one:.0f}, {args.workers} workers {many:.0f}, ratio {many / one:.2f} "
          f"(target {0.8 * args.workers:.1f}); load after {_load()}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
