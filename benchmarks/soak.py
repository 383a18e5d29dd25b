"""Soak: 32 clients for a fixed time while the release is reloaded and a worker is killed.

Imports a synthetic quarter, starts ``codingkg serve --workers N --data RELEASE`` on a free
loopback port and drives it with C concurrent clients (each one connection, a mix of
``validPrimaries``, ``checkClaim`` and ``release { version }``) for ``--seconds``. A third of
the way in, a second quarter is imported over the same directory and the server gets SIGHUP
(every worker is re-forked from the new graph); two thirds in, one worker is killed with
SIGKILL (the supervisor starts another). It reports:

* requests answered and failed (status not 200, GraphQL errors, transport errors), by phase,
  and how many were retried once because their connection died under them (a failure only if
  the retry failed too);
* the ``release.version`` values seen and, per client, how often its version changed
  (expected: two versions, at most one change per client, never back);
* memory of the server (parent plus workers, RSS and PSS from ``/proc``), sampled each second:
  the plateau before the reload, the peak during it and the plateau at the end, next to a
  fresh server started on the new release under the same load (the plateau to come back to);
* latency percentiles of the answered requests.

Everything runs on 127.0.0.1 and stops by itself.

    python benchmarks/soak.py [--seconds 60] [--clients 32] [--workers 2] [--scale 0.01]

Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.importers.cms_layouts import generate_set
from kg.importers.release import import_files

REPOSITORY = Path(__file__).resolve().parents[1]
VERSION = "{ release { version } }"
PRIMARIES = '{ validPrimaries(addOn: "96375") { code } }'
CHECK = """query C($c: ClaimInput!) { checkClaim(claim: $c) { valid findings { rule } } }"""
CLAIM = {"claimType": "PROFESSIONAL", "dateOfService": "2026-08-01", "placeOfService": "11",
         "lines": [{"code": "96413"}, {"code": "96368"}]}


@dataclass
class Client:
    """What one client saw."""

    ok: int = 0
    retried: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    versions: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _memory_mb(pids: list[int]) -> tuple[float, float]:
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


async def _client(base: str, stop_at: float, phase: list[str], seen: Client, index: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=httpx.Limits(max_connections=1)) as http:
        n = index
        while time.monotonic() < stop_at:
            n += 1
            kind = n % 3
            body = ({"query": VERSION} if kind == 0 else {"query": PRIMARIES} if kind == 1
                    else {"query": CHECK, "variables": {"c": CLAIM}})
            started = time.perf_counter()
            try:
                try:
                    response = await http.post("/graphql", json=body)
                except httpx.TransportError:
                    # The connection died under the request (a worker killed or retired): these
                    # queries are safe to repeat, so retry once on a new connection, as HTTP
                    # clients do for idempotent requests. Counted, and failed if it fails again.
                    seen.retried[phase[0]] = seen.retried.get(phase[0], 0) + 1
                    response = await http.post("/graphql", json=body)
                answer = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError) as err:
                key = f"{phase[0]}: {type(err).__name__}"
                seen.failed[key] = seen.failed.get(key, 0) + 1
                continue
            if answer is None or answer.get("errors"):
                key = f"{phase[0]}: status {response.status_code}"
                seen.failed[key] = seen.failed.get(key, 0) + 1
                continue
            seen.ok += 1
            seen.latencies.append(time.perf_counter() - started)
            if kind == 0:
                version = answer["data"]["release"]["version"]
                if not seen.versions or seen.versions[-1] != version:
                    seen.versions.append(version)


async def _drive(base: str, server: subprocess.Popen, args: argparse.Namespace, cms2: Path, release: Path,
                 events: bool = True) -> dict:
    start = time.monotonic()
    stop_at = start + args.seconds
    phase = ["steady"]
    clients = [Client() for _ in range(args.clients)]
    tasks = [asyncio.create_task(_client(base, stop_at, phase, c, i)) for i, c in enumerate(clients)]
    memory: list[tuple[float, str, float, float]] = []
    happened: dict[str, float] = {}
    reloaded = killed = not events
    while time.monotonic() < stop_at:
        now = time.monotonic() - start
        if not reloaded and now >= args.seconds / 3:
            reloaded = True
            phase[0] = "reload"
            # Importing the new quarter over the served directory happens beside the running server.
            await asyncio.to_thread(import_files, sorted(p for p in cms2.iterdir() if p.is_file()), release)
            happened["reload signalled"] = round(time.monotonic() - start, 2)
            server.send_signal(signal.SIGHUP)
        if not killed and now >= 2 * args.seconds / 3:
            killed = True
            phase[0] = "kill"
            victims = _children(server.pid)
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                happened["worker killed"] = round(time.monotonic() - start, 2)
        rss, pss = _memory_mb([server.pid, *_children(server.pid)])
        memory.append((round(now, 1), phase[0], rss, pss))
        await asyncio.sleep(1.0)
    await asyncio.gather(*tasks)
    by_process = {("parent" if pid == server.pid else f"worker {pid}"): [round(x, 1) for x in _memory_mb([pid])]
                  for pid in [server.pid, *_children(server.pid)]}
    return {"clients": clients, "memory": memory, "events": happened, "by_process": by_process}


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in counts:
        for key, value in part.items():
            merged[key] = merged.get(key, 0) + value
    return merged


def _summary(result: dict, args: argparse.Namespace) -> dict:
    clients: list[Client] = result["clients"]
    failed: dict[str, int] = {}
    for c in clients:
        for key, count in c.failed.items():
            failed[key] = failed.get(key, 0) + count
    latencies = sorted(x for c in clients for x in c.latencies)
    versions = sorted({v for c in clients for v in c.versions})
    changes = [len(c.versions) - 1 for c in clients]
    memory = result["memory"]
    before = [m[2] for m in memory if m[1] == "steady" and m[0] >= args.seconds / 6]
    end = [m[2] for m in memory if m[0] >= args.seconds * 0.85]

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else 0.0

    return {
        "seconds": args.seconds, "clients": args.clients, "workers": args.workers,
        "answered": sum(c.ok for c in clients), "failed": sum(failed.values()), "failed_by_phase": failed,
        "retried_after_dropped_connection_by_phase": _merged([c.retried for c in clients]),
        "requests_per_s": round(sum(c.ok for c in clients) / args.seconds, 1),
        "latency_ms": {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0)},
        "versions_seen": versions,
        "version_changes_per_client": {"max": max(changes, default=0), "min": min(changes, default=0)},
        "clients_back_on_old_version": sum(1 for c in clients if len(c.versions) != len(set(c.versions))),
        "rss_mb": {"plateau_before_reload_median": round(statistics.median(before), 1) if before else None,
                   "peak": round(max(m[2] for m in memory), 1) if memory else None,
                   "end_median": round(statistics.median(end), 1) if end else None},
        "pss_mb": {"plateau_before_reload_median": round(statistics.median(
                       [m[3] for m in memory if m[1] == "steady" and m[0] >= args.seconds / 6]), 1) if before else None,
                   "end_median": round(statistics.median([m[3] for m in memory if m[0] >= args.seconds * 0.85]), 1)
                   if end else None},
        "memory_by_process_at_end_mb": result.get("by_process"),
        "events_s": result["events"],
    }


class _Server:
    """``codingkg serve`` on a free loopback port, stopped on exit."""

    def __init__(self, root: Path, release: Path, workers: int, name: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = root / f"{name}.log"
        env = {**os.environ, "CODINGKG_CACHE_DIR": str(root / "cache"), "CODINGKG_SNAPSHOT_KEY": str(root / "key")}
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "codingkg", "serve", "--port", str(self.port), "--workers", str(workers),
             "--data", str(release)], cwd=REPOSITORY, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> _Server:
        deadline = time.monotonic() + 300
        while True:
            if self.process.poll() is not None:
                raise SystemExit(self.log_path.read_text())
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            time.sleep(0.2)

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.01, help="synthetic quarter size (1 = real size)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codingkg-soak-") as tmp:
        root = Path(tmp)
        cms1, cms2 = generate_set(root / "cms1", scale=args.scale, seed=1).ptp[0].parent, root / "cms2"
        generate_set(cms2, scale=args.scale, seed=2, version="v323r0")
        release = root / "release"
        import_files(sorted(p for p in cms1.iterdir() if p.is_file()), release)
        with _Server(root, release, args.workers, "soak") as server:
            result = asyncio.run(_drive(server.base, server.process, args, cms2, release))
        summary = _summary(result, args)
        # The plateau to come back to: a fresh server on the new release under the same load.
        baseline_args = argparse.Namespace(**{**vars(args), "seconds": max(10, args.seconds // 3)})
        with _Server(root, release, args.workers, "baseline") as server:
            baseline = asyncio.run(_drive(server.base, server.process, baseline_args, cms2, release, events=False))
        tail = [m for m in baseline["memory"] if m[0] >= baseline_args.seconds / 2]
        summary["fresh_start_on_new_release_mb"] = {
            "rss_median": round(statistics.median(m[2] for m in tail), 1) if tail else None,
            "pss_median": round(statistics.median(m[3] for m in tail), 1) if tail else None,
            "by_process": baseline["by_process"]}
        print(json.dumps(summary, indent=2))
        reloads = [line for line in (root / "soak.log").read_text().splitlines() if "reload" in line]
        print("\n".join(reloads), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
