"""HTTP throughput of the GraphQL API next to a trivial strawberry schema served the same way.

Starts uvicorn (through :func:`server.serve.serve`, the same settings each time) once with the
codingkg app and once with a one-field strawberry schema behind the same app factory
(middleware, context, safety extensions), plus a bare one-field schema without the extensions.
Each is driven by 32 concurrent connections on 127.0.0.1 for a bounded time. Prints
requests/s, p50 and p99 latency, and errors, side by side.

    python benchmarks/http_throughput.py [--driver wrk|httpx] [--seconds 15] [--concurrency 32]

The load generator runs on the same machine and competes for the same two cores. ``wrk`` (a C
load generator, Debian package ``wrk``) is used when it is installed: it costs far less CPU
than Python clients, so more of the machine measures the server. Compare the columns with each
other, not with figures from another machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0

VALID_PRIMARIES = '{ validPrimaries(addOn: "96375") { code title } }'
CODE_CARD = ('{ code(code: "96368") { code title isAddOn mue { maxUnits } '
             'paymentStatuses { paymentSystem status } validPrimaries { code } } }')
TRIVIAL = "{ hello }"
CHECK_CLAIM = (
    '{ checkClaim(claim: {claimType: PROFESSIONAL, placeOfService: "11", dateOfService: "2026-06-01", lines: ['
    '{code: "99214", modifiers: ["25"]}, {code: "96413"}, {code: "96415", units: 2}, {code: "96417"}, '
    '{code: "96367"}, {code: "96368"}, {code: "96375"}, {code: "96361", units: 3}, {code: "J9045", units: 10}, '
    '{code: "J2405", units: 8}]}) { valid findings { rule severity line } } }'
)
# wrk script: POST the query, count a response whose body carries GraphQL errors as an error.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = %s
graphql_errors = 0
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then graphql_errors = graphql_errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%f %%f %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


# ------------------------------------------------------------------ the served apps (child process)
def _serve(kind: str, port: int) -> None:
    sys.path.insert(0, str(REPOSITORY))  # run from a checkout without installing
    import strawberry

    from server.app import create_app
    from server.schema import safe_schema
    from server.serve import serve
    from server.settings import ServerSettings

    @strawberry.type
    class Hello:
        @strawberry.field
        def hello(self) -> str:
            return "world"

    settings = ServerSettings(graphiql=False)
    common = {"port": port, "log_level": "warning", "access_log": False}
    if kind == "codingkg":
        serve(settings, **common)
    elif kind == "trivial":
        serve(settings, app=create_app(settings, schema=safe_schema(Hello)), **common)
    else:  # bare: strawberry's defaults, no limits or caches
        serve(settings, app=create_app(settings, schema=strawberry.Schema(query=Hello)), **common)


# ------------------------------------------------------------------ the load (parent process)
@dataclass
class Result:
    target: str
    query: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    fixed: tuple[float, float] | None = None  # (p50, p99) as reported by wrk

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if self.fixed is not None:
            return self.fixed[0] if p == 50 else self.fixed[1]
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(kind: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)], cwd=REPOSITORY)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{kind} server did not answer /healthz within {START_TIMEOUT_S}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def _drive(base: str, query: str, total: int, seconds: float, concurrency: int) -> tuple[int, int, float, list[float]]:
    body = json.dumps({"query": query}).encode()
    headers = {"content-type": "application/json"}
    # One client (one keep-alive connection) per concurrent user, as 32 independent callers
    # would be: a single shared httpx pool serialises on its own bookkeeping and would measure
    # the load generator instead of the server.
    clients = [httpx.AsyncClient(base_url=base, timeout=10.0) for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    issued = 0
    try:
        # Warm up: open the connections, fill the parser and validation caches.
        await asyncio.gather(*(c.post("/graphql", content=body, headers=headers) for c in clients))
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal errors, issued
            while issued < total and time.perf_counter() < deadline:
                issued += 1
                sent = time.perf_counter()
                try:
                    response = await client.post("/graphql", content=body, headers=headers)
                    ok = response.status_code == 200 and b'"errors"' not in response.content
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - sent) * 1000)
                errors += not ok

        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - start
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return len(latencies), errors, elapsed, latencies


def _drive_wrk(base: str, query: str, seconds: float, concurrency: int) -> Result:
    """Run wrk against ``base``; its Lua ``done`` hook prints requests, errors, duration, p50, p99."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % json.dumps(json.dumps({"query": query})))
    # Warm-up: open connections, fill the parser and validation caches.
    httpx.post(f"{base}/graphql", json={"query": query}, timeout=10.0)
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", "-s", script.name,
                          f"{base}/graphql"], capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, errors, duration, p50, p99 = line.split()[1:]
    # wrk reports percentiles, not samples: keep them as a two-point latency list.
    result = Result("", "", int(requests), int(errors), float(duration), [])
    result.fixed = (float(p50), float(p99))
    return result


def _measure(kind: str, query: str, label: str, args: argparse.Namespace) -> Result:
    process, base = _start(kind)
    try:
        if args.driver == "wrk":
            result = _drive_wrk(base, query, args.seconds, args.concurrency)
            result.target, result.query = kind, label
            return result
        done, errors, elapsed, latencies = asyncio.run(_drive(base, query, args.requests, args.seconds, args.concurrency))
    finally:
        _stop(process)
    return Result(kind, label, done, errors, elapsed, latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="requests per run (default 6000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="longest run in seconds (default 15)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--driver", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx",
                        help="load generator (default: wrk when installed, else httpx)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all targets; medians are printed (default 3)")
    parser.add_argument("--serve", choices=["codingkg", "trivial", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port)
        return 0

    runs = [
        ("trivial", TRIVIAL, "{ hello } (same app, same extensions)"),
        ("codingkg", VALID_PRIMARIES, "validPrimaries(addOn: 96375)"),
        ("codingkg", CHECK_CLAIM, "checkClaim (10 lines)"),
        ("codingkg", CODE_CARD, "code card (96368)"),
        ("bare", TRIVIAL, "{ hello } (bare strawberry, no extensions)"),
    ]
    # Rounds interleave the targets so that drift on a shared machine hits each alike.
    rounds = [[_measure(kind, query, label, args) for kind, query, label in runs] for _ in range(args.rounds)]
    print(f"\n{args.concurrency} concurrent clients, up to {args.requests} requests or {args.seconds:.0f} s per run, "
          f"uvicorn 1 process, 127.0.0.1, driver {args.driver}; medians of {args.rounds} rounds\n")
    print(f"{'query':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs trivial':>11}")
    ceiling = statistics.median(r[0].rps for r in rounds)
    for index, (_, _, label) in enumerate(runs):
        results = [r[index] for r in rounds]
        rps = statistics.median(r.rps for r in results)
        p50 = statistics.median(r.percentile(50) for r in results)
        p99 = statistics.median(r.percentile(99) for r in results)
        errors = sum(r.errors for r in results)
        print(f"{label:<44} {rps:8.0f} {p50:8.1f} {p99:8.1f} {errors:7d} {rps / ceiling:10.0%}")
    print("\nper round req/s: " + "; ".join(", ".join(f"{r.rps:.0f}" for r in round_) for round_ in rounds))
    return 0 if all(r.errors == 0 for round_ in rounds for r in round_) else 1


if __name__ == "__main__":
    raise SystemExit(main())
