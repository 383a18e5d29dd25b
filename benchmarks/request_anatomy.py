"""Where one GraphQL request's CPU goes: the served stack, graphql-core, the claim engine.

    python benchmarks/request_anatomy.py [--rounds 9] [--requests 1000] [--seconds 5]

``run.py`` says how many requests a second each server answers; this script says why, in CPU
microseconds per request, measured the same way for our server and for the ceiling (the
trivial graphql-core endpoint of ``run.py``). Kept answers are off throughout: every request
is executed.

- **over HTTP**: each server under uvicorn, 32 wrk connections, its own CPU time (user +
  system, from ``/proc``) divided by the requests it answered. Unlike requests per second,
  this does not move with the CPU that wrk takes from the same cores.
- **in process**: the same apps called as ASGI apps, with no server in front (interleaved
  rounds, medians); the difference to the HTTP figure is uvicorn's share.
- **the 10-line claim**: ``Executor.execute`` of the ``checkClaim`` document, split into
  graphql-core's coercion of the literal claim argument, its conversion into the engine's
  ``Claim``, the engine's check of a claim it has not seen as an object before, and the rest
  (graphql-core's execution of the fields and completion of the findings).

The last lines set the figures against issue 15's targets (``run.py``'s ``TARGETS``): for each
query, the CPU per request its target allows (the ceiling's ÷ the target) next to what it takes
and next to the floor (``{ __typename }``: our stack with no resolver of ours); and the best
ratio ``checkClaim`` could reach if our stack and GraphQL's execution and completion cost
nothing (the ceiling's own request plus the coercion, the conversion and the engine). The last
line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from graphql import FieldNode, OperationDefinitionNode, parse, value_from_ast_untyped  # noqa: E402
from http_throughput import CHECK_CLAIM, CODE_CARD, VALID_PRIMARIES  # noqa: E402
from run import STACK_FLOOR, TARGETS, _ceiling_app, _start, _stop, _wrk  # noqa: E402
from workers import _cpu_seconds  # noqa: E402

#: ``CHECK_CLAIM`` with its claim sent as variables: what a client sending many claims sends.
CHECK_CLAIM_WITH_VARIABLES = ("query Check($claim: ClaimInput!) { checkClaim(claim: $claim) "
                              "{ valid findings { rule severity line } } }")


def _claim_of_check_claim() -> dict[str, Any]:
    """The claim literal of ``CHECK_CLAIM`` as JSON values (enum values as their names)."""
    operation = parse(CHECK_CLAIM).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    return value_from_ast_untyped(field.arguments[0].value)


CLAIM_VARIABLES = {"claim": _claim_of_check_claim()}
#: Name → (request body, whether it is served by the ceiling app).
REQUESTS: dict[str, tuple[dict[str, Any], bool]] = {
    "ceiling": ({"query": "{ hello }"}, True),
    "floor": ({"query": STACK_FLOOR}, False),
    "checkClaim": ({"query": CHECK_CLAIM}, False),
    "checkClaim_variables": ({"query": CHECK_CLAIM_WITH_VARIABLES, "variables": CLAIM_VARIABLES}, False),
    "card": ({"query": CODE_CARD}, False),
    "validPrimaries": ({"query": VALID_PRIMARIES}, False),
}
#: The queries run.py measures over HTTP (the variables form is measured in process only).
HTTP_REQUESTS = ("ceiling", "floor", "checkClaim", "card", "validPrimaries")
#: Each query's target ratio to the ceiling.
TARGET_RATIOS = {"checkClaim": TARGETS["checkClaim_vs_ceiling"], "card": TARGETS["card_vs_ceiling"],
                 "validPrimaries": TARGETS["validPrimaries_vs_ceiling"]}


# ------------------------------------------------------------------ in process
def _scope(body: bytes) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()), (b"accept", b"*/*")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


async def _call(app: Any, scope: dict[str, Any], body: bytes, out: list[bytes]) -> None:
    """One request through an ASGI app, its body appended to ``out``."""
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            out.append(message.get("body", b""))

    await app(dict(scope), receive, send)


async def _apps_in_process(rounds: int, requests: int) -> dict[str, float]:
    """CPU µs per request of each app, called as an ASGI app: interleaved rounds, medians."""
    from kg.graph import KnowledgeGraph
    from server.app import create_app
    from server.settings import ServerSettings

    ours = create_app(ServerSettings(graphiql=False, answer_cache_bytes=0), kg=KnowledgeGraph.default())
    ceiling = _ceiling_app()
    runs = []
    for name, (payload, on_ceiling) in REQUESTS.items():
        body = json.dumps(payload).encode()
        runs.append((name, ceiling if on_ceiling else ours, _scope(body), body))
    out: list[bytes] = []
    for name, app, scope, body in runs:  # warm: documents prepared, memos filled
        for _ in range(200):
            await _call(app, scope, body, out)
        if b'"errors"' in out[-1]:
            raise SystemExit(f"{name} answered with errors: {out[-1][:300]!r}")
        out.clear()
    gc.collect()
    gc.freeze()
    samples: dict[str, list[float]] = {name: [] for name in REQUESTS}
    for _ in range(rounds):
        for name, app, scope, body in runs:
            started = time.process_time()
            for _ in range(requests):
                await _call(app, scope, body, out)
            samples[name].append((time.process_time() - started) / requests * 1e6)
            out.clear()
    return {name: statistics.median(values) for name, values in samples.items()}


def _claim_parts(rounds: int, requests: int) -> dict[str, float]:
    """The 10-line claim's execution, split: coercion, conversion, engine, and the rest."""
    from graphql import get_argument_values

    from kg.claims.engine import check_claim
    from kg.graph import KnowledgeGraph
    from server.claims import _claim_from_arguments  # the conversion the resolver runs
    from server.context import Context
    from server.execution import Executor
    from server.schema import build_schema

    kg = KnowledgeGraph.default()
    executor = Executor(build_schema())
    document = executor.prepare(CHECK_CLAIM).document
    assert document is not None
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    field = executor.schema.query_type.fields["checkClaim"]  # type: ignore[union-attr]
    argument = get_argument_values(field, node)["claim"]
    claims = [_claim_from_arguments(argument) for _ in range(requests)]  # new objects: nothing kept on them

    def each_claim() -> None:
        for claim in claims:
            check_claim(kg, claim)

    def repeat(step: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(requests):
                step()
        return run

    parts: dict[str, Callable[[], None]] = {
        "execute": repeat(lambda: executor.execute(CHECK_CLAIM, None, None, Context(kg=kg))),
        "coerce_argument": repeat(lambda: get_argument_values(field, node)),
        "convert_claim": repeat(lambda: _claim_from_arguments(argument)),
        "engine": each_claim,
    }
    for run in parts.values():
        run()
    gc.collect()
    gc.freeze()
    samples: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(rounds):
        for name, run in parts.items():
            started = time.process_time()
            run()
            samples[name].append((time.process_time() - started) / requests * 1e6)
    found = {name: statistics.median(values) for name, values in samples.items()}
    found["rest"] = found["execute"] - found["coerce_argument"] - found["convert_claim"] - found["engine"]
    return found


# ------------------------------------------------------------------ over HTTP
def _over_http(seconds: int) -> dict[str, float]:
    """Server CPU µs per answered request under 32 wrk connections, one server per kind."""
    found: dict[str, float] = {}
    for kind, names in (("ceiling", ["ceiling"]), ("codingkg-uncached", [n for n in HTTP_REQUESTS if n != "ceiling"])):
        process, port, _ = _start(kind, HERE.parent, "{ hello }" if kind == "ceiling" else VALID_PRIMARIES)
        try:
            for name in names:
                query = REQUESTS[name][0]["query"]
                _wrk(port, query, 1)  # warm
                before = _cpu_seconds(process.pid)
                measured = _wrk(port, query, seconds)
                requests = measured["rps"] * seconds
                found[name] = (_cpu_seconds(process.pid) - before) / requests * 1e6
                found[f"{name}_rps"] = measured["rps"]
        finally:
            _stop(process)
    return found


# ------------------------------------------------------------------ the report
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds in process (median)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per app per round in process")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of wrk load per query over HTTP")
    args = parser.parse_args()

    from kg.claims import engine_build

    load_before = "/".join(f"{x:.2f}" for x in os.getloadavg())
    http = _over_http(args.seconds)
    apps = asyncio.run(_apps_in_process(args.rounds, args.requests))
    claim = _claim_parts(args.rounds, args.requests)
    uvicorn_share = http["ceiling"] - apps["ceiling"]
    # If our stack and GraphQL's execution and completion cost nothing, checkClaim would cost the
    # ceiling's request plus what no server can skip: reading the claim and checking it.
    irreducible = claim["coerce_argument"] + claim["convert_claim"] + claim["engine"]
    figures: dict[str, Any] = {
        "claim_engine": engine_build(), "load_before": load_before,
        "load_after": "/".join(f"{x:.2f}" for x in os.getloadavg()),
        "http_cpu_us": {name: round(value, 1) for name, value in http.items() if not name.endswith("_rps")},
        "http_rps": {name[:-4]: round(value) for name, value in http.items() if name.endswith("_rps")},
        "in_process_cpu_us": {name: round(value, 1) for name, value in apps.items()},
        "uvicorn_share_us": round(uvicorn_share, 1),
        "check_claim_parts_us": {name: round(value, 1) for name, value in claim.items()},
        "check_claim_best_vs_ceiling": round(http["ceiling"] / (http["ceiling"] + irreducible), 3),
    }
    figures["vs_ceiling_by_cpu"] = {name: round(http["ceiling"] / http[name], 3) for name in HTTP_REQUESTS}
    figures["target_allows_us"] = {name: round(http["ceiling"] / target, 1) for name, target in TARGET_RATIOS.items()}

    print(f"\nclaim engine {figures['claim_engine']} · load {load_before} → {figures['load_after']} · "
          f"kept answers off · CPU µs per request (medians)\n")
    print(f"{'request':24} {'over HTTP':>10} {'in process':>11} {'÷ ceiling (CPU)':>16}")
    for name in REQUESTS:
        over = http.get(name)
        ratio = figures["vs_ceiling_by_cpu"].get(name)
        print(f"{name:24} {over if over is not None else float('nan'):10.0f} {apps[name]:11.0f} "
              f"{ratio if ratio is not None else float('nan'):16.2f}")
    print(f"\nuvicorn's share (ceiling over HTTP minus in process): {uvicorn_share:.0f} µs")
    print(f"our stack above the ceiling app ({STACK_FLOOR} minus {{ hello }}, in process): "
          f"{apps['floor'] - apps['ceiling']:.0f} µs")
    print("\ncheckClaim (10 lines), Executor.execute in process:")
    labels = {"coerce_argument": "graphql-core coerces the literal claim", "convert_claim": "it becomes the engine's Claim",
              "engine": "the engine checks it", "rest": "the rest: execution, completion, collector",
              "execute": "Executor.execute in all"}
    for name, label in labels.items():
        print(f"  {label:44} {claim[name]:6.0f} µs")
    print("\nAgainst the targets (CPU per request over HTTP):")
    for name, allowed in figures["target_allows_us"].items():
        print(f"  {name:16} ≥ {TARGET_RATIOS[name]} of the ceiling allows {allowed:5.0f} µs; it takes {http[name]:5.0f} µs, "
              f"the floor alone {http['floor']:5.0f} µs")
    print(f"  checkClaim with our stack and GraphQL's execution free (the ceiling's request + coercion + conversion + "
          f"engine): {figures['check_claim_best_vs_ceiling']:.2f} of the ceiling")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
