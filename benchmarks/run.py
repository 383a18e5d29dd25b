"""The whole performance table in one run: start, memory, imports, the engine, HTTP next to its peers.

    python benchmarks/run.py [--quick] [--rounds N] [--seconds S] [--source PATH]

Measures, on this machine and at this load (``uptime`` is printed with the table):

- **start**: seconds from launching ``codingkg``'s server until it answers, the snapshot
  loaded (median over rounds, after one unmeasured start that compiles the snapshot if
  needed); **peak RSS** of that server after the load; **import** time of ``server.app`` in a
  fresh interpreter.
- **in-process claim**: the 10-line claim's p50 and its ratio to the same lookups as SPARQL on
  pyoxigraph and rdflib, **batch** claims per second on one core and cost growth with the data
  (all from the measured checkout's ``benchmarks/engine_bench.py``).
- **HTTP**: requests/s and p99 with 32 keep-alive clients (``wrk``, 127.0.0.1, bounded in
  time) for ``checkClaim`` (10 lines), the code card and ``validPrimaries``, next to the stock
  strawberry ASGI app serving ``{ hello }`` and a trivial graphql-core endpoint (Starlette,
  document parsed once, one resolver: the Python ceiling). One uvicorn worker each; uvicorn
  picks httptools and uvloop when installed (the ``fast`` extra), h11 and asyncio otherwise.
  Rounds interleave the servers so that drift on a shared machine hits each alike; medians.
  wrk repeats one request, which the served app answers from its kept answers
  (``server.answers``) after the first; the same three queries are then measured again on a
  server keeping none (``--answer-cache-mb 0``): what a stream of requests never seen before
  costs, the engine and GraphQL execution included.

``--source`` serves and imports the code of another checkout (e.g. an older commit unpacked
with ``git archive``), so a before/after pair runs with the same driver. The last line printed
is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
sys.path.insert(0, str(HERE))

from http_throughput import CHECK_CLAIM, CODE_CARD, TRIVIAL, VALID_PRIMARIES, WRK_SCRIPT, _free_port, _stop  # noqa: E402

START_TIMEOUT_S = 120.0
CLIENTS = 32
#: The stack's floor: a field no resolver of ours answers, so only the served stack works.
STACK_FLOOR = "{ __typename }"
#: Targets of the goal (issue 15), printed next to the measured ratios.
TARGETS = {"checkClaim_vs_stock": 2.5, "checkClaim_vs_ceiling": 0.35, "card_vs_ceiling": 0.6,
           "validPrimaries_vs_ceiling": 0.6, "p99_ms": 50.0}


# ------------------------------------------------------------------ served apps (child processes)
def _serve(kind: str, port: int) -> None:
    import uvicorn

    if kind.startswith("codingkg"):
        from server.serve import serve
        from server.settings import ServerSettings

        options: dict[str, Any] = {"answer_cache_bytes": 0} if kind == "codingkg-uncached" else {}
        try:
            settings = ServerSettings(graphiql=False, **options)
        except TypeError:  # a checkout from before kept answers: it keeps none anyway
            settings = ServerSettings(graphiql=False)
        serve(settings, port=port, log_level="warning", access_log=False)
        return
    if kind == "stock":
        import strawberry
        from strawberry.asgi import GraphQL

        @strawberry.type
        class Query:
            @strawberry.field
            def hello(self) -> str:
                return "world"

        app: Any = GraphQL(strawberry.Schema(query=Query), graphql_ide=None)
    else:
        app = _ceiling_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _ceiling_app() -> Any:
    """A trivial graphql-core endpoint: Starlette, each query text parsed and validated once, one resolver."""
    from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, GraphQLString, execute, parse, validate
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    schema = GraphQLSchema(GraphQLObjectType("Query", {"hello": GraphQLField(GraphQLString, resolve=lambda *_: "world")}))
    documents: dict[str, Any] = {}

    async def graphql(request: Request) -> JSONResponse:
        body = await request.json()
        query = body["query"]
        document = documents.get(query)
        if document is None:
            document = parse(query)
            if validate(schema, document):
                return JSONResponse({"errors": [{"message": "invalid"}]}, status_code=400)
            documents[query] = document
        result = execute(schema, document, variable_values=body.get("variables"))
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        return JSONResponse(payload)

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


# ------------------------------------------------------------------ the parent
def _environment(source: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(source)}


def _post_ok(port: int, query: str) -> bool:
    import httpx

    try:
        response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=5.0)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and "errors" not in response.json()


def _start(kind: str, source: Path, probe: str) -> tuple[subprocess.Popen[bytes], int, float]:
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)], cwd=source,
                               env=_environment(source))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {process.returncode}")
        if _post_ok(port, probe):
            return process, port, time.perf_counter() - started
        time.sleep(0.05)
    _stop(process)
    raise RuntimeError(f"{kind} server did not answer within {START_TIMEOUT_S}s")


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and its children (a supervisor's worker), the largest, in MB."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    peak = 0.0
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def _wrk(port: int, query: str, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % json.dumps(json.dumps({"query": query})))
    try:
        _post_ok(port, query)  # warm: parse, validate and price once
        out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "-s", script.name,
                              f"http://127.0.0.1:{port}/graphql"], capture_output=True, text=True, check=True,
                             timeout=seconds + 30).stdout
    finally:
        Path(script.name).unlink()
    requests, errors, duration, p50, p99 = next(x for x in out.splitlines() if x.startswith("RESULT")).split()[1:]
    return {"rps": int(requests) / float(duration), "p50_ms": float(p50), "p99_ms": float(p99), "errors": int(errors)}


def _uptime() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _import_seconds(source: Path, runs: int) -> float:
    code = "import time; t = time.perf_counter(); import server.app; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], cwd=source, env=_environment(source), check=True,
                                  capture_output=True, text=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def _engine(source: Path, quick: bool) -> dict[str, Any]:
    """In-process claim figures, in a child so that ``--source`` imports that checkout's engine."""
    out = subprocess.run([sys.executable, __file__, "--engine", *(["--quick"] if quick else [])], cwd=source,
                         env=_environment(source), check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _engine_child(quick: bool) -> dict[str, Any]:
    """The measured checkout's own ``engine_bench.measure``, flattened for the table."""
    bench = Path.cwd() / "benchmarks" / "engine_bench.py"
    if not bench.exists():
        raise SystemExit(f"{Path.cwd()} has no benchmarks/engine_bench.py: measure a checkout from 7d08de8 on")
    sys.path.insert(0, str(bench.parent))
    import engine_bench

    measured = engine_bench.measure(quick)
    claim, batch = measured["claim"], measured["batch"]
    try:
        from kg.claims import engine_build  # from 2 December 2026 on

        claim_engine = engine_build()
    except ImportError:
        claim_engine = "python"
    growth = {scale: {"load_s": round(row.get("load_s", 0), 3), "claim_ms": round(row.get("claim_ms", 0), 4),
                      "related_x_embedded": round(row.get("related_x_embedded", 0), 2),
                      "related_cold_x_embedded": round(row.get("related_cold_x_embedded", 0), 2),
                      "related_codes": row.get("related_codes", 0),
                      "related_per_code_x_embedded": round(row.get("related_per_code_x_embedded", 0), 2),
                      "search_x_embedded": round(row.get("search_x_embedded", 0), 2)}
              for scale, row in measured["scaled"]["scales"].items()}
    return {"from": "engine_bench", "claim_engine": claim_engine, "claim_p50_ms": claim["claim_p50_ms"],
            "pyoxigraph_ratio": claim["ratio_pyoxigraph"], "rdflib_ratio": claim["ratio_rdflib"],
            "batch_claims_per_s": batch["batch_claims_per_s"],
            # An older checkout's benchmark may not report these.
            "batch_claims_per_cpu_s": batch.get("batch_claims_per_cpu_s"),
            "batch_mix_claims_per_cpu_s": batch.get("batch_mix_claims_per_cpu_s"), "growth": growth}


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of 5 s per server, fewer engine runs")
    parser.add_argument("--rounds", type=int, help="rounds over the servers (default 3; 1 with --quick)")
    parser.add_argument("--seconds", type=int, help="seconds of load per query (default 10; 5 with --quick)")
    parser.add_argument("--source", type=Path, default=REPOSITORY, help="checkout whose code is measured")
    parser.add_argument("--serve", choices=["codingkg", "codingkg-uncached", "stock", "ceiling"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port)
        return 0
    if args.engine:
        print(json.dumps(_engine_child(args.quick)))
        return 0

    source = args.source.resolve()
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (5 if args.quick else 10)
    load_before = _uptime()
    queries = {"checkClaim": CHECK_CLAIM, "card": CODE_CARD, "validPrimaries": VALID_PRIMARIES}
    uncached = {f"{name}_uncached": query for name, query in queries.items()}
    # The cheapest answer the served stack gives (no resolver of ours runs): the share of the
    # ceiling that limits, body and content checks, metrics, request ids and CORS leave to any query.
    uncached["floor"] = STACK_FLOOR
    http: dict[str, list[dict[str, float]]] = {name: [] for name in ("stock", "ceiling", *queries, *uncached)}
    starts: list[float] = []
    rss: list[float] = []
    # One start unmeasured: it compiles the snapshot when the cache holds none for this code.
    process, _, _ = _start("codingkg", source, VALID_PRIMARIES)
    _stop(process)
    for _ in range(rounds):
        for kind in ("stock", "ceiling"):
            process, port, _ = _start(kind, source, TRIVIAL)
            try:
                http[kind].append(_wrk(port, TRIVIAL, seconds))
            finally:
                _stop(process)
        process, port, start = _start("codingkg", source, VALID_PRIMARIES)
        starts.append(start)
        try:
            for name, query in queries.items():
                http[name].append(_wrk(port, query, seconds))
            rss.append(_peak_rss_mb(process.pid))
        finally:
            _stop(process)
        process, port, _ = _start("codingkg-uncached", source, VALID_PRIMARIES)
        try:
            for name, query in uncached.items():
                http[name].append(_wrk(port, query, seconds))
        finally:
            _stop(process)
    engine = _engine(source, args.quick)
    figures: dict[str, Any] = {
        "source": str(source),
        "python": platform.python_version(),
        "load_before": load_before,
        "load_after": _uptime(),
        "rounds": rounds,
        "seconds": seconds,
        "clients": CLIENTS,
        "start_s": round(statistics.median(starts), 3),
        "peak_rss_mb": round(statistics.median(rss), 1),
        "import_s": round(_import_seconds(source, 3), 3),
        "claim_p50_ms": round(engine["claim_p50_ms"], 4),
        "pyoxigraph_ratio": round(engine["pyoxigraph_ratio"], 1),
        "rdflib_ratio": round(engine["rdflib_ratio"], 1),
        "batch_claims_per_s": round(engine["batch_claims_per_s"]),
        "engine_from": engine.get("from"),
        # compiled only where the measured checkout was compiled in place (pip install -e .)
        "claim_engine": engine.get("claim_engine", "python"),
        "batch_claims_per_cpu_s": round(engine.get("batch_claims_per_cpu_s") or 0),  # 0: not measured
        "batch_mix_claims_per_cpu_s": round(engine.get("batch_mix_claims_per_cpu_s") or 0),
        "growth": engine.get("growth", {}),
    }
    for name, runs in http.items():
        figures[f"{name}_rps"] = round(statistics.median(r["rps"] for r in runs), 1)
        figures[f"{name}_p99_ms"] = round(statistics.median(r["p99_ms"] for r in runs), 2)
        figures[f"{name}_errors"] = sum(int(r["errors"]) for r in runs)
    figures["checkClaim_vs_stock"] = _ratio(figures["checkClaim_rps"], figures["stock_rps"])
    figures["checkClaim_vs_ceiling"] = _ratio(figures["checkClaim_rps"], figures["ceiling_rps"])
    figures["card_vs_ceiling"] = _ratio(figures["card_rps"], figures["ceiling_rps"])
    figures["validPrimaries_vs_ceiling"] = _ratio(figures["validPrimaries_rps"], figures["ceiling_rps"])
    for name in queries:
        figures[f"{name}_uncached_vs_ceiling"] = _ratio(figures[f"{name}_uncached_rps"], figures["ceiling_rps"])
    figures["floor_vs_ceiling"] = _ratio(figures["floor_rps"], figures["ceiling_rps"])
    figures["checkClaim_uncached_vs_stock"] = _ratio(figures["checkClaim_uncached_rps"], figures["stock_rps"])
    stack = subprocess.run([sys.executable, "-c", "import importlib.util as u; print("
                            "'httptools+uvloop' if u.find_spec('httptools') and u.find_spec('uvloop') else 'h11+asyncio')"],
                           capture_output=True, text=True, check=True).stdout.strip()
    figures["stack"] = stack

    print(f"\n{source} · Python {figures['python']} · uvicorn on {stack} · 1 worker each · {CLIENTS} clients (wrk) · "
          f"{rounds} round(s) of {seconds} s · load {load_before} → {figures['load_after']}\n")
    print(f"{'':34} {'req/s':>9} {'p99 ms':>8} {'errors':>7}")
    labels = {"stock": "stock strawberry { hello }", "ceiling": "graphql-core ceiling { hello }",
              "checkClaim": "checkClaim (10 lines)", "card": "code card (96368)", "validPrimaries": "validPrimaries (96375)",
              **{f"{name}_uncached": f"{name}, no kept answers" for name in queries},
              "floor": "codingkg { __typename }, none kept"}
    for name, label in labels.items():
        print(f"{label:34} {figures[name + '_rps']:9.0f} {figures[name + '_p99_ms']:8.1f} {figures[name + '_errors']:7d}")
    print()
    for key, target in TARGETS.items():
        value = figures["checkClaim_p99_ms"] if key == "p99_ms" else figures[key]
        met = value <= target if key == "p99_ms" else value >= target
        print(f"{key:34} {value:9.2f}  target {'≤' if key == 'p99_ms' else '≥'} {target}  {'met' if met else 'NOT met'}")
        if key != "p99_ms":
            name, peer = key.split("_vs_")
            print(f"{'  ' + name + ', no kept answers':34} {figures[f'{name}_uncached_vs_{peer}']:9.2f}")
    print(f"{'codingkg floor (__typename)':34} {figures['floor_vs_ceiling']:9.2f}  of the ceiling: no query of ours "
          "without kept answers can pass it")
    print(f"\nclaim engine {figures['claim_engine']} · start {figures['start_s']} s · "
          f"peak RSS {figures['peak_rss_mb']} MB · import {figures['import_s']} s · "
          f"claim p50 {figures['claim_p50_ms']} ms (pyoxigraph {figures['pyoxigraph_ratio']}x, rdflib "
          f"{figures['rdflib_ratio']}x) · batch {figures['batch_claims_per_s']} claims/s "
          f"({figures['batch_claims_per_cpu_s']} per CPU second; distinct claims {figures['batch_mix_claims_per_cpu_s']})\n")
    for scale, row in figures["growth"].items():
        print(f"scale {scale}: start {row['load_s']} s · claim {row['claim_ms']} ms · related "
              f"{row['related_x_embedded']}x embedded (cold {row['related_cold_x_embedded']}x; "
              f"{row['related_codes']} codes, {row['related_per_code_x_embedded']}x per code) · search "
              f"{row['search_x_embedded']}x")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
